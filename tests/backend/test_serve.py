"""``coverscope serve``: embedded database, worker, gunicorn and the web UI; clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from backend.storage.embedded import free_port
from tests.backend.stack import wait_until


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_starts_everything_and_stops_cleanly(tmp_path: Path) -> None:
    web = tmp_path / "dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<html>coverscope ui</html>")
    (web / "assets" / "app.js").write_text("console.log(1)")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"MONGODB_URI", "REDIS_URL", "FEATURE_STORE"}
    }
    env["COVERSCOPE_FRONTEND_DIR"] = str(web)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coverscope.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bytes | None:
            try:
                status, body = get(f"{base}/api/health")
            except OSError:
                return None
            return body if status == 200 else None

        body = wait_until(healthy, what="the API's health check", timeout=90, every=0.3)
        assert json.loads(body)["status"] == "ok"
        assert get(f"{base}/")[1] == b"<html>coverscope ui</html>"
        assert get(f"{base}/library/some-song")[1] == b"<html>coverscope ui</html>"
        assert get(f"{base}/assets/app.js")[1] == b"console.log(1)"
        code, body = get(f"{base}/api/nope")
        assert code == 404 and json.loads(body)["error"]["code"] == "not_found"
        assert (tmp_path / "data" / "db").is_dir() and (
            tmp_path / "data" / "queue.sqlite3"
        ).exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    children = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], check=False, capture_output=True, text=True
    )
    assert children.stdout.strip() == ""
