"""Shared pieces of the API benchmarks: a database, a gunicorn API, seeding, percentiles."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
from pymongo.errors import BulkWriteError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from backend.access import key_path, load_or_create_key  # noqa: E402
from backend.serve import child_env, gunicorn_command  # noqa: E402
from backend.settings import Settings  # noqa: E402
from backend.storage.db import connect, now, pack_array  # noqa: E402
from backend.storage.documents import Song  # noqa: E402
from backend.storage.embedded import EmbeddedMongo, free_port  # noqa: E402
from backend.storage.song_repository import SongRepository  # noqa: E402
from model.analysis import ANALYSIS_VERSION  # noqa: E402


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms)
    return {
        "n": int(arr.size),
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "max_ms": round(float(arr.max()), 2),
    }


def seed_synthetic(
    repo: SongRepository,
    start: int,
    stop: int,
    version: str,
    dim: int,
    *,
    analysis_keys: list[str] | None = None,
) -> None:
    """Insert songs ``start..stop`` with random unit embeddings (no features: rank only; with
    ``analysis_keys``, song i's analysis is ``analysis_keys[i % len]``)."""
    rng = np.random.default_rng(start)
    batch = 2000
    for lo in range(start, stop, batch):
        hi = min(stop, lo + batch)
        vectors = rng.standard_normal((hi - lo, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        stamp = now()
        docs = [
            {
                "title": f"Synthetic {i}",
                "artist": f"Artist {i % 997}",
                "tags": [],
                "notes": "",
                "source": "upload",
                "duration": 200.0,
                "model_version": version,
                "embedding": pack_array(v),
                "created_at": stamp,
                "updated_at": stamp,
            }
            for i, v in zip(range(lo, hi), vectors, strict=True)
        ]
        if analysis_keys:
            for i, doc in zip(range(lo, hi), docs, strict=True):
                doc["analysis_key"] = analysis_keys[i % len(analysis_keys)]
                doc["analysis_version"] = ANALYSIS_VERSION
        try:
            repo.songs.insert_many(cast(list[Song], docs), ordered=False)
        except BulkWriteError as exc:  # a retried batch that had landed: ignore duplicates
            if any(e["code"] != 11000 for e in exc.details["writeErrors"]):
                raise
    repo.bump()


class Api:
    """gunicorn serving ``create_app()`` against a given database (as ``coverscope serve`` does)."""

    def __init__(self, settings: Settings, *, processes: int = 2, threads: int = 8) -> None:
        self.port = free_port()
        assert settings.api_key is not None, "database() gives the settings a key"
        self.headers = {"X-API-Key": settings.api_key.get_secret_value()}
        env = child_env(settings)
        cmd = gunicorn_command("127.0.0.1", self.port, processes=processes, threads=threads)
        self.log = settings.data_dir / f"gunicorn-{self.port}.log"
        with self.log.open("wb") as log:  # gunicorn's own messages (access log: stdout)
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log
            )
        deadline = time.monotonic() + 600  # a loaded machine takes minutes to load the model
        while True:
            try:
                if self.get("/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.terminate()
                self.proc.wait(30)
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the API did not start:\n{tail}")
            time.sleep(0.5)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, Any]:
        own = conn is None
        conn = conn or self.connection()
        try:
            conn.request("GET", path, headers=self.headers)
            reply = conn.getresponse()
            body = reply.read()
            kind = reply.getheader("Content-Type", "")
            return reply.status, json.loads(body) if "json" in kind else body
        finally:
            if own:
                conn.close()

    def wait_indexed(self, songs: int, timeout: float = 600.0) -> None:
        """Until every API process's search index holds ``songs`` songs (20 answers agree)."""
        deadline = time.monotonic() + timeout
        agreeing = 0
        while agreeing < 20:
            status, body = self.get("/api/stats")
            ok = status == 200 and body["index"]["songs"] == songs
            agreeing = agreeing + 1 if ok else 0
            if time.monotonic() > deadline:
                raise TimeoutError(f"search index never reached {songs} songs")
            if not ok:
                time.sleep(0.5)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def stop_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so ``finally`` blocks stop the servers we started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def database(tmp: Path) -> tuple[EmbeddedMongo, Settings, SongRepository]:
    """An embedded database under ``tmp``, settings for it (the API key from ``API_KEY`` or
    ``tmp/api-key``) and the song repository."""
    stop_cleanly_on_sigterm()
    db = EmbeddedMongo(tmp / "db").start()
    settings = Settings(data_dir=tmp, mongodb_uri=db.uri, mongodb_db="bench")
    if settings.api_key is None:  # as `coverscope serve` does: API_KEY, or the data folder's file
        settings = settings.with_(api_key=load_or_create_key(key_path(tmp)))
    # Seeding writes big batches: a patient client (the API itself uses the defaults).
    repo = SongRepository(connect(db.uri, settings.with_(mongodb_timeout_ms=60_000)))
    repo.ensure_indexes()
    return db, settings, repo
