"""The embedded database: a SecantusDB server (MongoDB wire protocol) run as a child process.

Used when no ``MONGODB_URI`` is configured, so the same pymongo code runs with nothing else
installed. Data lives under ``<data_dir>/db``. The server journals every commit and fsyncs the
journal before it answers (``--sync-on-commit``), so an acknowledged write survives a crash.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from model.errors import StorageUnavailable

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secantusd_exe() -> str:
    beside = Path(sys.executable).parent / "secantusd-py"
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise StorageUnavailable("secantusd-py (SecantusDB) is not installed; set MONGODB_URI.")
    return found


def wait_for_mongo(
    uri: str, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        client: MongoClient[dict[str, object]] = MongoClient(uri, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return
        except PyMongoError:
            if proc is not None and proc.poll() is not None:
                raise StorageUnavailable(
                    f"the embedded database exited ({proc.returncode})"
                ) from None
            if time.monotonic() > deadline:
                raise StorageUnavailable(f"no database answered at {uri}") from None
            time.sleep(0.2)
        finally:
            client.close()


class EmbeddedMongo:
    """Start/stop one secantusd on loopback; ``uri`` is what pymongo connects to."""

    def __init__(
        self, storage: Path, *, port: int | None = None, log_file: Path | None = None
    ) -> None:
        self.storage = Path(storage)
        self.port = port or free_port()
        self.log_file = log_file or self.storage.parent / "db.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def spawn(self, *, preexec_fn: Callable[[], object] | None = None) -> subprocess.Popen[bytes]:
        """Start the server process on this object's port and storage path, without waiting for
        it to answer; a restart after a crash therefore comes back at the same ``uri``."""
        self.storage.mkdir(parents=True, exist_ok=True)
        cmd = [
            secantusd_exe(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage),
            "--log-level",
            "WARNING",
            # Fsync the journal on every commit, not only for writes asking ``j: true`` (ours
            # all do, see ``backend.storage.db.connect``): no client can leave an acknowledged
            # write in memory where a crash would take it.
            "--sync-on-commit",
        ]
        with self.log_file.open("ab") as out:
            # The caller's hook (None by default) must only make system calls.
            self.proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=preexec_fn,  # noqa: PLW1509
            )
        log.info("embedded database (secantusdb) on %s, data in %s", self.uri, self.storage)
        return self.proc

    def start(self, timeout: float = 30.0) -> EmbeddedMongo:
        """Spawn the server and wait until it answers."""
        wait_for_mongo(self.uri, timeout, self.spawn())
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
