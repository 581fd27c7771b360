"""One settings object for the service, read from the environment and handed to ``create_app``.

Each field names the environment variable it is read from. Unset storage settings mean the
embedded defaults: no ``MONGODB_URI`` starts a local MongoDB-wire server under the data
folder, no ``FEATURE_STORE`` keeps features in a local folder, no ``REDIS_URL`` runs the job
queue on SQLite. Secrets (``API_KEY``) have no default and never show in a ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EVALUATION_DIR = Path(__file__).resolve().parents[1] / "docs" / "evaluation"


class Settings(BaseSettings):
    """Everything the API and the workers need to know about their surroundings."""

    model_config = SettingsConfigDict(
        frozen=True, validate_by_name=True, env_ignore_empty=True, extra="ignore"
    )

    data_dir: Path = Field(default=Path("data"), validation_alias="COVERSCOPE_DATA_DIR")
    mongodb_uri: str | None = Field(default=None, validation_alias="MONGODB_URI")
    """``None``: start the embedded MongoDB-wire server (secantusdb) under ``data_dir``."""
    mongodb_db: str = Field(default="coverscope", validation_alias="MONGODB_DB")
    mongodb_timeout_ms: int = Field(default=2000, validation_alias="MONGODB_TIMEOUT_MS")
    feature_store: str | None = Field(default=None, validation_alias="FEATURE_STORE")
    """``gs://bucket[/prefix]`` for Google Cloud Storage, a folder path, or ``None`` (local)."""
    store_timeout_s: float = Field(default=10.0, validation_alias="STORE_TIMEOUT_S")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    """``None``: the job queue is a SQLite file under ``data_dir`` (single machine)."""
    api_key: SecretStr | None = Field(default=None, validation_alias="API_KEY")
    """Every write under ``/api`` needs it in the ``X-API-Key`` header; the API refuses to
    start without one (``coverscope serve`` creates ``<data-dir>/api-key`` when unset)."""
    private_reads: bool = Field(default=False, validation_alias="PRIVATE_READS")
    """Reads need the key too (every ``/api`` route but the health check and the API docs)."""
    model_path: Path | None = Field(default=None, validation_alias="MODEL_PATH")
    scorer_path: Path | None = Field(default=None, validation_alias="SCORER_PATH")
    """The fused scorer's config (``None``: the shipped ``model/weights/scorer.json``)."""
    allowed_sources: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("youtube",), validation_alias="ALLOWED_SOURCES"
    )
    """Comma-separated in the environment."""
    test_source: str | None = Field(default=None, validation_alias="COVERSCOPE_TEST_SOURCE")
    """Tests only: one loopback ``host:port`` whose plain HTTP files may be fetched."""
    max_duration_s: float = Field(default=900.0, validation_alias="MAX_DURATION_S")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, validation_alias="MAX_UPLOAD_BYTES")
    max_download_bytes: int = Field(
        default=200 * 1024 * 1024, validation_alias="MAX_DOWNLOAD_BYTES"
    )
    job_retries: int = Field(default=2, validation_alias="JOB_RETRIES")
    """A job whose worker died is run again this many times, then failed."""
    job_retry_delay_s: float = Field(default=5.0, validation_alias="JOB_RETRY_DELAY_S")
    """The first wait of a job retrying through an outage; it doubles up to ``JOB_RETRY_CAP_S``."""
    job_retry_cap_s: float = Field(default=60.0, validation_alias="JOB_RETRY_CAP_S")
    job_outage_s: float = Field(default=900.0, validation_alias="JOB_OUTAGE_S")
    """A job keeps retrying through a database or bucket outage this long, then fails with the
    reason. Far longer than a restart: ``serve`` restarts a dead database within seconds. While
    the database itself is down no failure can be recorded: the job keeps waiting for it and
    runs when it returns."""
    job_lost_s: float = Field(default=1800.0, validation_alias="JOB_LOST_S")
    """A job still queued and untouched this long is queued again, in case its queue message was
    lost (a duplicate message is harmless: only one can start a job)."""
    job_stale_s: float = Field(default=60.0, validation_alias="JOB_STALE_S")
    """A running job whose heartbeat is older than this is considered orphaned."""
    scratch_grace_s: float = Field(default=6 * 3600.0, validation_alias="SCRATCH_GRACE_S")
    """A scratch folder untouched this long belongs to a killed process and is removed."""
    heartbeat_s: float = Field(default=5.0, validation_alias="HEARTBEAT_S")
    check_processes: int = Field(default=1, ge=1, validation_alias="CHECK_PROCESSES")
    """Pair checks computed at once by each API process (in processes of their own)."""
    check_queue: int = Field(default=3, ge=0, validation_alias="CHECK_QUEUE")
    """Pair checks that may wait per API process; beyond that a check answers 429. Keep
    ``check_processes + check_queue`` below the API's threads so cheap requests find one."""
    queue_name: str = Field(default="coverscope", validation_alias="COVERSCOPE_QUEUE_NAME")
    frontend_dir: Path | None = Field(default=None, validation_alias="COVERSCOPE_FRONTEND_DIR")
    evaluation_dir: Path = Field(
        default=EVALUATION_DIR, validation_alias="COVERSCOPE_EVALUATION_DIR"
    )
    """Where the evaluation writes its figures (``*.json``), shown by ``GET /api/model``."""

    @field_validator("allowed_sources", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def feature_dir(self) -> Path:
        return self.data_dir / "features"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    @property
    def scratch_dir(self) -> Path:
        """Temporary folders of uploads, downloads and analyses (see ``backend.ingest.scratch``)."""
        return self.data_dir / "tmp"

    @property
    def audit_log(self) -> Path:
        """One JSON line per write request (``backend/api/security.py``)."""
        return self.data_dir / "audit.log"

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (field names) validated like the environment's values."""
        return type(self).model_validate({**self.model_dump(), **changes})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the process environment (or ``env``); ``overrides`` (field names) win."""
        if env is None:
            return cls(**overrides)
        given = {name: value for name, value in env.items() if value != ""}
        return cls.model_validate({**given, **overrides})

    def environment(self) -> dict[str, str]:
        """The variables that make another process (a worker, gunicorn) read these settings,
        derived from the fields' declared names."""
        env: dict[str, str] = {}
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, tuple):
                value = ",".join(value)
            env[str(info.validation_alias)] = str(value)
        return env
