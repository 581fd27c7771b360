"""``coverscope serve``: embedded database, worker, gunicorn and the web UI; clean shutdown;
secure by default (a key file created once, a sign-in link, anonymous writes refused)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from backend.serve import gunicorn_command
from backend.storage.embedded import free_port
from tests.backend.stack import REPO, wait_until

# Embedded defaults, and no key from the caller's shell: a fresh install.
ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"MONGODB_URI", "REDIS_URL", "FEATURE_STORE", "API_KEY", "PRIVATE_READS"}
}


def send(
    url: str, method: str = "GET", body: object = None, key: str | None = None
) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    if key is not None:
        headers["X-API-Key"] = key
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def get(url: str) -> tuple[int, bytes]:
    return send(url)


@contextmanager
def serving(tmp_path: Path, port: int, output: Path) -> Iterator[str]:
    """``coverscope serve`` on ``port`` with data in ``tmp_path/data``, until healthy; stopped
    with SIGTERM on exit (which must end it cleanly). Yields the base URL."""
    command = [sys.executable, "-m", "coverscope.cli", "serve", "--port", str(port)]
    with output.open("ab") as out:
        proc = subprocess.Popen(
            [*command, "--data-dir", str(tmp_path / "data")],
            env=ENV | {"COVERSCOPE_FRONTEND_DIR": str(tmp_path / "dist")},
            stdout=out,
            stderr=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return get(f"{base}/api/health")[0] == 200
            except OSError:
                return False

        wait_until(healthy, what="the API's health check", timeout=90, every=0.3)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_serve_starts_everything_and_stops_cleanly(tmp_path: Path) -> None:
    web = tmp_path / "dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<html>coverscope ui</html>")
    (web / "assets" / "app.js").write_text("console.log(1)")
    port = free_port()
    output = tmp_path / "serve.out"
    with serving(tmp_path, port, output) as base:
        _, body = get(f"{base}/api/health")
        assert json.loads(body)["status"] == "ok"
        assert get(f"{base}/")[1] == b"<html>coverscope ui</html>"
        assert get(f"{base}/library/some-song")[1] == b"<html>coverscope ui</html>"
        assert get(f"{base}/assets/app.js")[1] == b"console.log(1)"
        code, body = get(f"{base}/api/nope")
        assert code == 404 and json.loads(body)["error"]["code"] == "not_found"
        assert (tmp_path / "data" / "db").is_dir() and (
            tmp_path / "data" / "queue.sqlite3"
        ).exists()

        # Secure by default: a fresh install has a key, and anonymous writes are refused.
        key_file = tmp_path / "data" / "api-key"
        key = key_file.read_text().strip()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key), "32 random bytes, URL-safe"
        for method, path, body in [
            ("DELETE", "/api/songs/6650c0ffee6650c0ffee6650", None),
            ("PATCH", "/api/songs/6650c0ffee6650c0ffee6650", {"title": "x"}),
            ("PUT", "/api/model/threshold", {"threshold": 0.99}),
            ("POST", "/api/songs", {"url": "https://www.youtube.com/watch?v=QDYfEBY9NM4"}),
        ]:
            assert send(f"{base}{path}", method, body)[0] == 401, (method, path)
        assert send(f"{base}/api/model/threshold", "PUT", {"threshold": 0.5}, key)[0] == 200
    children = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], check=False, capture_output=True, text=True
    )
    assert children.stdout.strip() == ""

    # The sign-in link carries the key in its fragment only.
    printed = output.read_text()
    assert f"http://127.0.0.1:{port}/#key={key}" in printed.split()
    assert printed.count(key) == 1 and "?key=" not in printed

    # A restart reuses the key.
    with serving(tmp_path, port, output) as base:
        assert key_file.read_text().strip() == key
        assert send(f"{base}/api/model/threshold", "PUT", {"threshold": 0.5}, key)[0] == 200
    assert output.read_text().count(f"/#key={key}") == 2


def test_an_api_started_without_a_key_refuses_to_start() -> None:
    env = ENV | {"COVERSCOPE_DATA_DIR": "/nonexistent/never-created"}
    reply = subprocess.run(
        gunicorn_command("127.0.0.1", free_port(), processes=1, threads=1),
        env=env,
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reply.returncode != 0
    assert "API_KEY is not set" in reply.stderr
