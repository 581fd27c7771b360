"""``coverscope serve``: the embedded database, the job worker and gunicorn, as one command.

With no ``MONGODB_URI`` a SecantusDB server is started under ``<data-dir>/db``; with no
``REDIS_URL`` the queue is a SQLite file under the data folder, consumed by one worker process.
With no ``API_KEY`` the key is ``<data-dir>/api-key``, created on first start; the command prints
a sign-in link that hands it to the web UI. The built web UI (``frontend/dist``) is served at
``/``. A child that dies is restarted with backoff (``backend.supervise``); Ctrl-C or SIGTERM
stops everything.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from types import FrameType

from backend.access import key_path, load_or_create_key, sign_in_link
from backend.settings import Settings
from backend.storage.embedded import EmbeddedMongo, wait_for_mongo
from backend.supervise import Child, Supervisor, die_with_parent

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
    children: list[Child] = []
    embedded = None
    if not settings.mongodb_uri:
        embedded = EmbeddedMongo(settings.db_dir)
        settings = settings.with_(mongodb_uri=embedded.uri)
        children.append(Child("database", partial(embedded.spawn, preexec_fn=die_with_parent)))
    env = child_env(settings)
    worker = worker_command(args.workers or 1)
    api = gunicorn_command(args.host, args.port)
    children.append(Child("worker", partial(_popen, worker, env), stop_signal=signal.SIGINT))
    children.append(Child("api", partial(_popen, api, env)))
    supervisor = Supervisor(children)
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    try:
        for child in children:
            proc = supervisor.start(child)
            if embedded is not None and child.name == "database":
                wait_for_mongo(embedded.uri, 30.0, proc)
        log.info("Coverscope on http://%s:%d (data in %s)", args.host, args.port, data_dir)
        announce(settings, args.host, args.port, key_from_file=key_from_file)
        while not stopping:
            supervisor.tick()
            time.sleep(0.2)
    finally:
        log.info("stopping")
        supervisor.stop()
    return 0


def _popen(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A child that dies with ``serve``, however ``serve`` ends."""
    # serve runs no threads of its own when it forks; the hook only calls prctl.
    return subprocess.Popen(command, env=env, preexec_fn=die_with_parent)  # noqa: PLW1509
