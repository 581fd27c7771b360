"""``coverscope serve``: the embedded database, the job worker and gunicorn, as one command.

With no ``MONGODB_URI`` a SecantusDB server is started under ``<data-dir>/db``; with no
``REDIS_URL`` the queue is a SQLite file under the data folder, consumed by one worker process.
With no ``API_KEY`` the key is ``<data-dir>/api-key``, created on first start; the command prints
a sign-in link that hands it to the web UI. The built web UI (``frontend/dist``) is served at
``/``. Ctrl-C or SIGTERM stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from backend.access import key_path, load_or_create_key, sign_in_link
from backend.settings import Settings
from backend.storage.embedded import EmbeddedMongo

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


GUNICORN_CONFIG = "python:backend.gunicorn_conf"


def gunicorn_command(
    host: str, port: int, *, processes: int | None = None, threads: int | None = None
) -> list[str]:
    """gunicorn with ``backend/gunicorn_conf.py``, bound to ``host:port``; ``processes`` and
    ``threads`` override the configured counts."""
    command = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]
    command += ["--bind", f"{host}:{port}"]
    if processes is not None:
        command += ["--workers", str(processes)]
    if threads is not None:
        command += ["--threads", str(threads)]
    return command


def child_env(settings: Settings) -> dict[str, str]:
    """The environment of the API and worker processes: these settings, single-thread BLAS
    (requests and jobs already run concurrently; BLAS threads inside each only contend)."""
    return {"OPENBLAS_NUM_THREADS": "1", **os.environ, **settings.environment()}


def worker_command(threads: int) -> list[str]:
    return [sys.executable, "-m", "backend.jobs.worker", "--workers", str(threads)]


def _stop(proc: subprocess.Popen[bytes], sig: int, timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def announce(settings: Settings, host: str, port: int, *, key_from_file: bool) -> None:
    """Tell the operator how to sign in: a link carrying the key file's key in its fragment,
    or, for a key from ``API_KEY``, where to paste it."""
    assert settings.api_key is not None
    if key_from_file:
        where = key_path(settings.data_dir)
        print(f"Sign in (writes need the key in {where}):", flush=True)
        print(f"  {sign_in_link(host, port, settings.api_key)}", flush=True)
    else:
        print("Sign in with the API_KEY you set (Sign in, in the web UI's sidebar).", flush=True)


def main(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(data_dir=data_dir)
    key_from_file = settings.api_key is None
    if key_from_file:
        settings = settings.with_(api_key=load_or_create_key(key_path(data_dir)))
    if settings.frontend_dir is None and (REPO / "frontend" / "dist" / "index.html").is_file():
        settings = settings.with_(frontend_dir=REPO / "frontend" / "dist")
    embedded = None
    if not settings.mongodb_uri:
        embedded = EmbeddedMongo(settings.db_dir).start()
        settings = settings.with_(mongodb_uri=embedded.uri)
    env = child_env(settings)
    workers = args.workers or 1
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        children["worker"] = subprocess.Popen(worker_command(workers), env=env)
        children["api"] = subprocess.Popen(gunicorn_command(args.host, args.port), env=env)
        log.info("Coverscope on http://%s:%d (data in %s)", args.host, args.port, data_dir)
        announce(settings, args.host, args.port, key_from_file=key_from_file)
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None:
                    log.error("%s exited with %s; shutting down", name, proc.returncode)
                    stopping = True
            time.sleep(0.3)
    finally:
        log.info("stopping")
        if "api" in children:
            _stop(children["api"], signal.SIGTERM)
        if "worker" in children:
            _stop(children["worker"], signal.SIGINT)
        if embedded is not None:
            embedded.stop()
    failed = [p.returncode for p in children.values() if p.returncode not in (0, -2, -15, None)]
    return 1 if failed else 0
