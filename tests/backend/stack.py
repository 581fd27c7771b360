"""Helpers for the backend tests: synthetic songs and a ``Stack`` (the app + a real worker)."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from backend.api.app import create_app
from backend.api.components import Components, build_components
from backend.settings import Settings
from backend.storage.embedded import EmbeddedMongo
from model.constants import SAMPLE_RATE

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Triads as semitones above A; two different progressions make two different "songs".
PROGRESSION_A = [(3, 7, 10), (10, 14, 17), (8, 12, 15), (5, 8, 12)]  # C G F Dm
PROGRESSION_B = [(0, 3, 7), (5, 9, 12), (2, 5, 9), (7, 11, 14)]  # Am D Bm E


def synth(
    progression: list[tuple[int, int, int]],
    *,
    seconds: float,
    transpose: int = 0,
    chord_seconds: float = 1.5,
    bright: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """A chord loop of additive tones (mono float32 at the pipeline's rate)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(chord_seconds * SAMPLE_RATE)) / SAMPLE_RATE
    envelope = np.minimum(1.0, t / 0.02) * np.exp(-t * 0.8)
    harmonics = [1.0, 0.6, 0.4, 0.3] if bright else [1.0, 0.3]
    chunks = []
    for i in range(int(np.ceil(seconds / chord_seconds))):
        chord = progression[i % len(progression)]
        tone = np.zeros_like(t)
        for semitone in chord:
            f0 = 220.0 * 2 ** ((semitone + transpose) / 12)
            for h, amp in enumerate(harmonics, start=1):
                tone += amp * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 2 * np.pi))
        chunks.append(tone * envelope)
    y = np.concatenate(chunks)[: int(seconds * SAMPLE_RATE)]
    y += 0.003 * rng.standard_normal(y.shape)
    return (0.25 * y / np.abs(y).max()).astype(np.float32)


def wait_until(
    condition: Callable[[], T | None], *, what: str, timeout: float = 60.0, every: float = 0.1
) -> T:
    """Poll ``condition`` until it returns something other than ``None``/``False``; returns it.
    Raises ``TimeoutError`` naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Stack:
    """The app (test client) and one real worker process sharing a database and a queue."""

    settings: Settings
    app: Any
    components: Components
    worker: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    with_worker: bool = True

    @property
    def client(self) -> Any:
        """A test client that signs its requests with the stack's API key, as the UI does."""
        client = self.app.test_client()
        assert self.settings.api_key is not None
        client.environ_base["HTTP_X_API_KEY"] = self.settings.api_key.get_secret_value()
        return client

    @property
    def anonymous(self) -> Any:
        """A test client without the key."""
        return self.app.test_client()

    def start_worker(self, **env_overrides: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            **self.settings.environment(),
            "PYTHONUNBUFFERED": "1",
            **env_overrides,
        }
        assert self.log_path is not None
        with self.log_path.open("ab") as out:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "backend.jobs.worker", "--workers", "2"],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self.worker

    def stop_worker(self, sig: int = signal.SIGINT) -> None:
        if self.worker is None or self.worker.poll() is not None:
            return
        self.worker.send_signal(sig)
        try:
            self.worker.wait(15)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()

    def reset(self) -> None:
        """Fresh state: no songs, jobs, claims or model settings, an empty queue and feature
        folder, and a running worker. The library version only grows, so no process's vector
        index can mistake the new library for one it saw before."""
        db = self.components.songs.songs.database
        for name in ("songs", "jobs", "claims", "graph_changes"):
            db[name].delete_many({})
        db["meta"].delete_many({"_id": {"$nin": ["library", "graph"]}})
        self.components.songs.bump()
        self.components.edges.clear()  # the graph's version, too, only grows
        self.components.queue.huey.flush()
        shutil.rmtree(self.settings.feature_dir, ignore_errors=True)
        if self.with_worker and (self.worker is None or self.worker.poll() is not None):
            self.start_worker()

    def wait_job(self, job_id: str, timeout: float = 90.0) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            job: dict[str, Any] = self.client.get(f"/api/jobs/{job_id}").get_json()
            return job if job["status"] in ("done", "failed") else None

        try:
            return wait_until(finished, what=f"job {job_id} to finish", timeout=timeout)
        except TimeoutError as exc:
            job = self.client.get(f"/api/jobs/{job_id}").get_json()
            log = self.log_path.read_text()[-3000:] if self.log_path else ""
            raise TimeoutError(f"{exc}: {job}\n{log}") from None

    def wait_heartbeat_stale(self, job_id: str) -> None:
        """Until ``job_id``'s heartbeat is older than ``job_stale_s`` (its worker is gone)."""

        def stale() -> bool:
            beat = self.components.jobs.get(job_id)["heartbeat_at"]
            return beat < datetime.now(UTC) - timedelta(seconds=self.settings.job_stale_s)

        wait_until(stale, what=f"job {job_id}'s heartbeat to go stale", every=0.05)

    def add(self, name: str, server: str, **extra: Any) -> dict[str, Any]:
        """Add a served file by URL and wait for it; returns the finished job."""
        reply = self.client.post("/api/songs", json={"url": f"http://{server}/{name}", **extra})
        assert reply.status_code == 202, reply.get_json()
        return self.wait_job(reply.get_json()["job"]["id"])

    def upload(self, path: Path, *, title: str | None = None) -> str:
        """Upload a file through the API and wait for its job (analysis and graph update);
        returns the new song's id."""
        form = {"file": (io.BytesIO(path.read_bytes()), path.name), "title": title or path.stem}
        reply = self.client.post("/api/songs/upload", data=form, content_type="multipart/form-data")
        assert reply.status_code == 202, reply.get_json()
        job = self.wait_job(reply.get_json()["job"]["id"])
        assert job["status"] == "done", job
        return str(job["song_id"])


def build_stack(
    tmp: Path, mongo: EmbeddedMongo, audio_server: str, *, worker: bool = True, **overrides: Any
) -> Stack:
    """The app and (with ``worker``) a worker on fresh settings, with a random API key unless
    ``overrides`` name one."""
    settings = Settings(
        data_dir=tmp,
        api_key=secrets.token_urlsafe(16),
        mongodb_uri=mongo.uri,
        mongodb_db=f"t_{uuid.uuid4().hex[:12]}",
        test_source=audio_server,
        max_duration_s=20.0,
        max_upload_bytes=2_000_000,
        job_retry_delay_s=0.0,
        job_stale_s=3.0,
        heartbeat_s=0.5,
    ).with_(**overrides)
    components = build_components(settings, index_check_every=0.0)
    app = create_app(components=components)
    stack = Stack(
        settings=settings,
        app=app,
        components=components,
        log_path=tmp / "worker.log",
        with_worker=worker,
    )
    if worker:
        stack.start_worker()
    return stack


def wait_port(port: int, timeout: float = 20.0) -> None:
    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, what=f"a server on port {port}", timeout=timeout)


def make_bucket(name: str) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project="coverscope", credentials=AnonymousCredentials())
    client.create_bucket(name)
