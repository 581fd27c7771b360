"""Fault tests of ``coverscope serve``'s supervision: a ``kill -9`` of the worker or of the
embedded database is repaired by ``serve`` itself, and ending ``serve`` (SIGTERM or even
``kill -9``) leaves no child process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from huey import SqliteHuey

from backend.jobs.liveness import STALE_AFTER_S, beat, worker_status
from backend.storage.embedded import free_port
from backend.supervise import Backoff
from tests.backend.stack import wait_until
from tests.backend.test_serve import ENV, get, send

START_TIMEOUT = 120.0
RECOVERY_TIMEOUT = 90.0


@dataclass(frozen=True)
class Served:
    base: str
    proc: subprocess.Popen[bytes]
    log: Path
    key: str


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie has ended: it only awaits its parent's ``wait``)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def child_pid(serve: subprocess.Popen[bytes], name: str) -> int | None:
    """The pid of ``serve``'s direct child ``name`` (database, worker or api), if running."""
    marks = {"database": "secantusd", "worker": "backend.jobs.worker", "api": "gunicorn"}
    for pid in descendants(serve.pid):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == serve.pid and marks[name] in command:
            return pid
    return None


def healthy(base: str) -> bool:
    try:
        return get(f"{base}/api/health")[0] == 200
    except OSError:
        return False


@contextmanager
def supervised(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Served]:
    """``coverscope serve`` with its log in ``tmp_path/serve.log`` and ``env`` added to its
    environment, until healthy. On exit a SIGTERM must end it cleanly with no process of its
    tree left alive (unless the test killed ``serve`` itself)."""
    port = free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "coverscope.cli", "serve", "--port", str(port)]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*command, "--data-dir", str(tmp_path / "data")],
            env=ENV | {"COVERSCOPE_FRONTEND_DIR": str(tmp_path / "dist")} | (env or {}),
            stdout=out,
            stderr=out,
        )
    tree: list[int] = []
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(base), what="serve's health", timeout=START_TIMEOUT, every=0.3)
        key = (tmp_path / "data" / "api-key").read_text().strip()
        yield Served(base=base, proc=proc, log=log, key=key)
        if proc.poll() is None:  # not killed by the test itself
            tree = descendants(proc.pid)
            assert tree, "serve runs its children"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0
            assert [pid for pid in tree if alive(pid)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in descendants(proc.pid) + tree:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def restarted(served: Served, name: str, old_pid: int) -> int | None:
    pid = child_pid(served.proc, name)
    return pid if pid is not None and pid != old_pid else None


def job_status(served: Served, job_id: str) -> str:
    code, body = get(f"{served.base}/api/jobs/{job_id}")
    assert code == 200, body
    status: str = json.loads(body)["status"]
    return status


def test_a_killed_worker_and_database_are_restarted_and_the_service_recovers(
    tmp_path: Path,
) -> None:
    with supervised(tmp_path) as served:
        # The worker: killed, it is restarted, and a job queued while it was dead completes.
        worker = wait_until(lambda: child_pid(served.proc, "worker"), what="the worker")
        os.kill(worker, signal.SIGKILL)
        code, body = send(f"{served.base}/api/model/reembed", "POST", key=served.key)
        assert code == 202, body
        job_id = json.loads(body)["job"]["id"]
        wait_until(
            lambda: restarted(served, "worker", worker),
            what="a new worker",
            timeout=RECOVERY_TIMEOUT,
        )
        wait_until(
            lambda: job_status(served, job_id) == "done",
            what="the job queued while the worker was dead",
            timeout=RECOVERY_TIMEOUT,
            every=0.3,
        )
        assert "worker exited with code -9; restarting in 0.5 s" in served.log.read_text()
        assert json.loads(get(f"{served.base}/api/health")[1])["worker"] == "ok"

        # The database: killed, it comes back on the same port and storage, and the API
        # reconnects by itself: health and reads answer again. (How much of the last second's
        # writes survives a crash is the durability tests' subject, not this one's.)
        database = wait_until(lambda: child_pid(served.proc, "database"), what="the database")
        os.kill(database, signal.SIGKILL)
        wait_until(
            lambda: restarted(served, "database", database),
            what="a new database",
            timeout=RECOVERY_TIMEOUT,
        )
        wait_until(
            lambda: healthy(served.base),
            what="health back at 200",
            timeout=RECOVERY_TIMEOUT,
            every=0.3,
        )
        assert get(f"{served.base}/api/songs")[0] == 200
        assert get(f"{served.base}/api/jobs/{job_id}")[0] == 200
        assert "database exited with code -9; restarting" in served.log.read_text()
        assert "database restarted" in served.log.read_text()
        assert served.proc.poll() is None, "serve itself kept running"


def test_a_killed_serve_leaves_no_orphan(tmp_path: Path) -> None:
    with supervised(tmp_path) as served:
        tree = descendants(served.proc.pid)
        names = {n for n in ("database", "worker", "api") if child_pid(served.proc, n)}
        assert names == {"database", "worker", "api"}
        # kill -9 cannot be caught: the children end because the kernel tells them.
        served.proc.kill()
        served.proc.wait()
        wait_until(
            lambda: not any(alive(pid) for pid in tree),
            what="every child of the killed serve to end",
            timeout=RECOVERY_TIMEOUT,
        )


def test_restarts_back_off_from_half_a_second_doubling_to_thirty() -> None:
    backoff = Backoff()
    assert [backoff.delay(failures=n) for n in range(1, 10)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
        30.0,
    ]


def test_health_tells_a_live_worker_from_a_silent_one(tmp_path: Path) -> None:
    huey = SqliteHuey("liveness", filename=str(tmp_path / "queue.sqlite3"))
    assert worker_status(huey) == "no worker has started"
    beat(huey, now=1000.0)
    assert worker_status(huey, now=1000.0 + STALE_AFTER_S) == "ok"
    assert worker_status(huey, now=1100.0) == "no worker heartbeat for 100 s"
