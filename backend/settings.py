"""One settings object for the service, read from the environment and handed to ``create_app``.

Unset storage settings mean the embedded defaults: no ``MONGODB_URI`` starts a local
MongoDB-wire server under the data folder, no ``FEATURE_STORE`` keeps features in a local
folder, no ``REDIS_URL`` runs the job queue on SQLite. Secrets (``API_KEY``) have no default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_SOURCES = ("youtube",)


def _split(raw: str | None, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the API and the workers need to know about their surroundings."""

    data_dir: Path = Path("data")
    mongodb_uri: str | None = None
    """``None``: start the embedded MongoDB-wire server (secantusdb) under ``data_dir``."""
    mongodb_db: str = "coverscope"
    mongodb_timeout_ms: int = 2000
    feature_store: str | None = None
    """``gs://bucket[/prefix]`` for Google Cloud Storage, a folder path, or ``None`` (local)."""
    store_timeout_s: float = 10.0
    redis_url: str | None = None
    """``None``: the job queue is a SQLite file under ``data_dir`` (single machine)."""
    api_key: str | None = None
    model_path: Path | None = None
    allowed_sources: tuple[str, ...] = DEFAULT_SOURCES
    test_source: str | None = None
    """Tests only: one loopback ``host:port`` whose plain HTTP files may be fetched."""
    max_duration_s: float = 900.0
    max_upload_bytes: int = 50 * 1024 * 1024
    max_download_bytes: int = 200 * 1024 * 1024
    job_retries: int = 2
    job_retry_delay_s: float = 5.0
    job_stale_s: float = 60.0
    """A running job whose heartbeat is older than this is considered orphaned."""
    heartbeat_s: float = 5.0
    queue_name: str = "coverscope"
    frontend_dir: Path | None = None
    evaluation_dir: Path = Path(__file__).resolve().parents[1] / "docs" / "evaluation"
    """Where the evaluation writes its figures (``*.json``), shown by ``GET /api/model``."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_dir(self) -> Path:
        return self.data_dir / "features"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``COVERSCOPE_*`` and the conventional names; ``overrides`` win."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value not in (None, "") else None

        values: dict[str, Any] = {}
        if data_dir := get("COVERSCOPE_DATA_DIR"):
            values["data_dir"] = Path(data_dir)
        for name, key in [
            ("MONGODB_URI", "mongodb_uri"),
            ("MONGODB_DB", "mongodb_db"),
            ("FEATURE_STORE", "feature_store"),
            ("REDIS_URL", "redis_url"),
            ("API_KEY", "api_key"),
            ("COVERSCOPE_TEST_SOURCE", "test_source"),
        ]:
            if (value := get(name)) is not None:
                values[key] = value
        if model := get("MODEL_PATH"):
            values["model_path"] = Path(model)
        if frontend := get("COVERSCOPE_FRONTEND_DIR"):
            values["frontend_dir"] = Path(frontend)
        if evaluation := get("COVERSCOPE_EVALUATION_DIR"):
            values["evaluation_dir"] = Path(evaluation)
        if (sources := get("ALLOWED_SOURCES")) is not None:
            values["allowed_sources"] = _split(sources)
        for name, key, kind in [
            ("MAX_DURATION_S", "max_duration_s", float),
            ("MAX_UPLOAD_BYTES", "max_upload_bytes", int),
            ("MAX_DOWNLOAD_BYTES", "max_download_bytes", int),
            ("JOB_RETRIES", "job_retries", int),
            ("JOB_RETRY_DELAY_S", "job_retry_delay_s", float),
            ("JOB_STALE_S", "job_stale_s", float),
            ("HEARTBEAT_S", "heartbeat_s", float),
            ("MONGODB_TIMEOUT_MS", "mongodb_timeout_ms", int),
            ("STORE_TIMEOUT_S", "store_timeout_s", float),
        ]:
            if (value := get(name)) is not None:
                values[key] = kind(value)
        values.update(overrides)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The environment that makes a child process read back these settings."""
        env = {
            "COVERSCOPE_DATA_DIR": str(self.data_dir),
            "MONGODB_DB": self.mongodb_db,
            "ALLOWED_SOURCES": ",".join(self.allowed_sources),
            "MAX_DURATION_S": str(self.max_duration_s),
            "MAX_UPLOAD_BYTES": str(self.max_upload_bytes),
            "MAX_DOWNLOAD_BYTES": str(self.max_download_bytes),
            "JOB_RETRIES": str(self.job_retries),
            "JOB_RETRY_DELAY_S": str(self.job_retry_delay_s),
            "JOB_STALE_S": str(self.job_stale_s),
            "HEARTBEAT_S": str(self.heartbeat_s),
            "MONGODB_TIMEOUT_MS": str(self.mongodb_timeout_ms),
            "STORE_TIMEOUT_S": str(self.store_timeout_s),
        }
        optional = {
            "MONGODB_URI": self.mongodb_uri,
            "FEATURE_STORE": self.feature_store,
            "REDIS_URL": self.redis_url,
            "API_KEY": self.api_key,
            "MODEL_PATH": str(self.model_path) if self.model_path else None,
            "COVERSCOPE_TEST_SOURCE": self.test_source,
            "COVERSCOPE_FRONTEND_DIR": str(self.frontend_dir) if self.frontend_dir else None,
            "COVERSCOPE_EVALUATION_DIR": str(self.evaluation_dir),
        }
        env.update({k: v for k, v in optional.items() if v is not None})
        return env
