"""docker-compose.yml cannot run here (no Docker engine): check that what it names exists."""

import importlib
import re
from pathlib import Path

import yaml

from backend.api.security import CSP, HEADERS
from backend.serve import GUNICORN_CONFIG
from backend.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_full_stack_is_declared() -> None:
    assert {"mongo", "redis", "gcs", "api", "worker", "web"} <= set(COMPOSE["services"])


def test_backend_services_build_an_image_that_starts_real_modules() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in dockerfile
    config = re.search(r'"--config", "python:([\w.]+)"', dockerfile)
    assert config, "the Dockerfile does not run gunicorn with its config module"
    wsgi_app = importlib.import_module(config.group(1)).wsgi_app
    module, _, factory = wsgi_app.removesuffix("()").partition(":")
    assert callable(getattr(importlib.import_module(module), factory))
    assert f"python:{config.group(1)}" == GUNICORN_CONFIG, "serve and the image share one config"
    worker = COMPOSE["services"]["worker"]["command"]
    assert worker[:2] == ["python", "-m"]
    assert importlib.util.find_spec(worker[2]) is not None


def test_backend_environment_is_what_the_settings_read() -> None:
    env = {k: str(v) for k, v in COMPOSE["services"]["api"]["environment"].items()}
    env = {k: v for k, v in env.items() if "${" not in v}
    settings = Settings.from_env(env)
    assert settings.mongodb_uri == "mongodb://mongo:27017"
    assert settings.redis_url == "redis://redis:6379/0"
    assert str(settings.feature_store).startswith("gs://")


def test_web_service_serves_the_build_and_proxies_the_api() -> None:
    web = COMPOSE["services"]["web"]
    context = ROOT / web["build"]
    assert (context / "Dockerfile").is_file()
    nginx = (context / "nginx.conf").read_text()
    assert "api:8000" in nginx and "/api" in nginx


def test_the_api_and_the_workers_refuse_to_start_without_a_key() -> None:
    for name in ("api", "worker"):
        env = COMPOSE["services"][name]["environment"]
        assert re.fullmatch(r"\$\{API_KEY:\?[^}]+\}", env["API_KEY"]), name


def test_the_web_service_sends_the_apis_security_headers_with_the_ui() -> None:
    nginx = (ROOT / COMPOSE["services"]["web"]["build"] / "nginx.conf").read_text()
    static = [block for block in nginx.split("location ")[1:] if not block.startswith("/api/")]
    assert len(static) == 2
    for block in static:
        assert f'add_header Content-Security-Policy "{CSP["app"]}" always;' in block
        for name, value in HEADERS.items():
            assert f"add_header {name} {value} always;" in block


def test_workers_scale_out_as_interchangeable_replicas() -> None:
    worker = COMPOSE["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker  # replicas would clash
    assert re.fullmatch(r"\$\{WORKERS:-\d+\}", str(worker["deploy"]["replicas"]))
    assert worker["stop_signal"] == "SIGINT"  # Huey's graceful stop: the running job finishes
    assert (
        worker["environment"]["REDIS_URL"] == COMPOSE["services"]["api"]["environment"]["REDIS_URL"]
    )
