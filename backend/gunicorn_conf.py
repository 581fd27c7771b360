"""The one gunicorn definition of the API, for the Docker image and ``coverscope serve``.

``gunicorn --config python:backend.gunicorn_conf`` serves the app factory with these settings;
``coverscope serve`` adds its own ``--bind`` (and the benchmarks their process counts).
"""

wsgi_app = "backend.api.app:create_app()"
bind = "0.0.0.0:8000"
workers = 2
worker_class = "gthread"
threads = 8
timeout = 120
graceful_timeout = 10
accesslog = "-"
