"""Fault tests of the whole service: ``kill -9`` of the job worker, of the database and of the
API's processes while a song is being ingested and a clip ranked. ``coverscope serve`` repairs
itself (health back at 200), the job ends done or failed with a reason, a rank or an upload in
flight gets an answer (200/202, or 503 while the database is away) or, when its own process
died, none (never a 500), and no song is stored without its features.

One ``serve`` is driven through the three crashes in turn; every wait is on a condition.
"""

from __future__ import annotations

import json
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pymongo import MongoClient

from tests.backend.stack import wait_until
from tests.backend.test_serve import get, send
from tests.backend.test_supervision import (
    RECOVERY_TIMEOUT,
    Served,
    child_pid,
    descendants,
    healthy,
    restarted,
    supervised,
)

JOB_TIMEOUT = 180.0
BOUNDARY = "coverscope-fault-test"


def multipart(data: bytes, filename: str) -> bytes:
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


class HalfSent:
    """A multipart POST whose headers and first half of body are sent, the rest held back: the
    request is in its handler, waiting for the file, until ``finish``."""

    def __init__(self, served: Served, path: str, data: bytes, filename: str) -> None:
        body = multipart(data, filename)
        netloc = urlsplit(served.base).netloc
        host, port = netloc.rsplit(":", 1)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {netloc}\r\nX-API-Key: {served.key}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        self.sock.sendall(head + body[: len(body) // 2])
        self.rest = body[len(body) // 2 :]

    def finish(self) -> int | None:
        """Send the rest and read the status; ``None`` when the server hung up instead."""
        try:
            self.sock.sendall(self.rest)
            reply = b""
            while chunk := self.sock.recv(65536):
                reply += chunk
        except OSError:
            return None
        finally:
            self.sock.close()
        if not reply.startswith(b"HTTP/1.1 "):
            return None
        return int(reply.split(b" ", 2)[1])


def job(served: Served, job_id: str) -> dict[str, Any]:
    code, body = get(f"{served.base}/api/jobs/{job_id}")
    assert code == 200, (code, body)
    found: dict[str, Any] = json.loads(body)
    return found


def ended(served: Served, job_id: str) -> dict[str, Any] | None:
    try:
        found = job(served, job_id)
    except (AssertionError, OSError):
        return None  # the API or the database is still coming back
    return found if found["status"] in ("done", "failed") else None


def add(served: Served, url: str) -> str:
    """Queue the song at ``url``; returns its job id."""
    code, body = send(f"{served.base}/api/songs", "POST", {"url": url}, key=served.key)
    assert code == 202, (code, body)
    job_id: str = json.loads(body)["job"]["id"]
    return job_id


def downloading(served: Served, job_id: str) -> bool:
    found = job(served, job_id)
    return bool(found["stage"] == "downloading" and found["progress"] > 0)


def api_workers(served: Served) -> list[int]:
    """The gunicorn worker processes (children of serve's ``api`` child)."""
    master = child_pid(served.proc, "api")
    assert master is not None
    return [pid for pid in descendants(master) if _parent(pid) == master]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def database_uri(served: Served) -> str:
    pid = child_pid(served.proc, "database")
    assert pid is not None
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return f"mongodb://127.0.0.1:{argv[argv.index(b'--port') + 1].decode()}/"


def half_written(served: Served, features: Path) -> list[str]:
    """Songs whose stored features are missing: each must have its HPCP, audio and analysis."""
    client: MongoClient[dict[str, Any]] = MongoClient(database_uri(served))
    try:
        songs = list(client["coverscope"]["songs"].find({}, {"embedding": 0}))
    finally:
        client.close()
    missing = []
    for song in songs:
        for field in ("hpcp_key", "audio_key", "analysis_key"):
            key = song.get(field)
            if not key or not (features / key).is_file():
                missing.append(f"{song['_id']}: {field} {key!r}")
    return missing


def kill_worker(served: Served) -> Callable[[], object]:
    pid = wait_until(lambda: child_pid(served.proc, "worker"), what="the worker")
    os.kill(pid, signal.SIGKILL)
    return lambda: restarted(served, "worker", pid)


def kill_database(served: Served) -> Callable[[], object]:
    pid = wait_until(lambda: child_pid(served.proc, "database"), what="the database")
    os.kill(pid, signal.SIGKILL)
    return lambda: restarted(served, "database", pid)


def kill_api(served: Served) -> Callable[[], object]:
    """``kill -9`` every gunicorn worker (so the one holding the requests in flight too)."""
    old = api_workers(served)
    assert old
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    return lambda: [pid for pid in api_workers(served) if pid not in old] or None


def test_killed_processes_mid_ingest_and_mid_rank_leave_a_working_service(
    tmp_path: Path, audio_server: str, audio_dir: Path
) -> None:
    env = {"COVERSCOPE_TEST_SOURCE": audio_server, "JOB_STALE_S": "3", "HEARTBEAT_S": "0.5"}
    clip = (audio_dir / "cover_a.m4a").read_bytes()
    victims = [
        ("worker", kill_worker, "song_a.m4a"),
        ("database", kill_database, "song_b.m4a"),
        ("api", kill_api, "song_c.mp3"),
    ]
    with supervised(tmp_path, env) as served:
        features = tmp_path / "data" / "features"
        outcomes: dict[str, Any] = {}
        for name, kill, song in victims:
            job_id = add(served, f"http://{audio_server}/slow/{song}")
            wait_until(
                lambda: downloading(served, job_id),  # noqa: B023 (used at once)
                what=f"{song} to be downloading",
                timeout=RECOVERY_TIMEOUT,
            )
            rank = HalfSent(served, "/api/rank", clip, "clip.m4a")
            upload = HalfSent(served, "/api/songs/upload", clip, "cover.m4a")
            back = kill(served)
            rank_status = rank.finish()
            upload_status = upload.finish()
            wait_until(back, what=f"the {name} to be restarted", timeout=RECOVERY_TIMEOUT)
            wait_until(
                lambda: healthy(served.base),
                what=f"health back at 200 after the {name} died",
                timeout=RECOVERY_TIMEOUT,
                every=0.3,
            )
            finished = wait_until(
                lambda: ended(served, job_id),  # noqa: B023 (used at once)
                what=f"{song}'s job to end after the {name} died",
                timeout=JOB_TIMEOUT,
                every=0.3,
            )
            assert finished["status"] == "done" or finished["error"], finished
            outcomes[name] = (finished["status"], rank_status, upload_status)
            # No answer when the process holding the request died (a request the kernel had
            # not yet handed to a process is served by its successor); else 202 (a clip query
            # is a job), or 503 while the database is away; never a 500.
            assert rank_status in (None, 202, 503), outcomes
            assert upload_status in (None, 202, 200, 503), outcomes
            code, body = send(f"{served.base}/api/songs", key=served.key)
            assert code == 200, body
            assert half_written(served, features) == [], outcomes
        assert all(status == "done" for status, _, _ in outcomes.values()), outcomes
