"""The one gunicorn definition of the API, for the Docker image and ``coverscope serve``.

``gunicorn --config python:backend.gunicorn_conf`` serves the app factory with these settings;
``coverscope serve`` adds its own ``--bind`` (and the benchmarks their process counts).
"""

from typing import Any

wsgi_app = "backend.api.app:create_app()"
bind = "0.0.0.0:8000"
workers = 2
worker_class = "gthread"
threads = 8
timeout = 120
graceful_timeout = 10
accesslog = "-"


def post_worker_init(worker: Any) -> None:
    """Start each API process's pair-check processes with it, not on its first check."""
    from backend.api.components import EXTENSION

    worker.wsgi.extensions[EXTENSION].checker.pool.start()
