"""Real parts on loopback for the backend tests.

A SecantusDB server (MongoDB wire protocol), a GCS emulator, an HTTP server that yt-dlp's
generic extractor downloads from (the test-only allowed source), tiny synthetic songs made
with ffmpeg, and a ``Stack``: the Flask app plus a real Huey worker process.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.storage.embedded import EmbeddedMongo, free_port
from model.audio import encode
from tests.backend.stack import (
    PROGRESSION_A,
    PROGRESSION_B,
    Stack,
    build_stack,
    synth,
    wait_port,
)


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic songs: A, a cover of A (transposed, other timbre), B, a long one, junk."""
    folder = tmp_path_factory.mktemp("audio")
    encode(synth(PROGRESSION_A, seconds=12), folder / "song_a.m4a")
    encode(
        synth(PROGRESSION_A, seconds=12, transpose=2, bright=True, seed=1), folder / "cover_a.m4a"
    )
    encode(synth(PROGRESSION_B, seconds=12, seed=2), folder / "song_b.m4a")
    encode(synth(PROGRESSION_B, seconds=8, transpose=5, seed=3), folder / "song_c.mp3")
    encode(synth(PROGRESSION_B, seconds=26, seed=4), folder / "long.m4a")
    (folder / "notes.txt").write_text("this is not audio\n" * 50)
    (folder / "corrupt.m4a").write_bytes(os.urandom(4096))
    return folder


class AudioHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; ``/slow/<name>`` trickles the file out (for killing a worker mid-job)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/slow/"):
            path = Path(self.directory) / self.path.removeprefix("/slow/")
            data = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "audio/mp4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                for i in range(0, len(data), 8192):
                    self.wfile.write(data[i : i + 8192])
                    self.wfile.flush()
                    time.sleep(0.25)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        super().do_GET()


@pytest.fixture(scope="session")
def audio_server(audio_dir: Path) -> Iterator[str]:
    """``host:port`` of a loopback HTTP server holding the synthetic songs."""
    handler = functools.partial(AudioHandler, directory=str(audio_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    server = EmbeddedMongo(tmp_path_factory.mktemp("secantus") / "db").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """A GCS emulator on loopback; google-cloud-storage finds it via STORAGE_EMULATOR_HOST."""
    port = free_port()
    exe = str(Path(sys.executable).parent / "gcp-storage-emulator")
    proc = subprocess.Popen(
        [exe, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port)
    host = f"http://127.0.0.1:{port}"
    previous = os.environ.get("STORAGE_EMULATOR_HOST")
    os.environ["STORAGE_EMULATOR_HOST"] = host
    yield host
    if previous is None:
        os.environ.pop("STORAGE_EMULATOR_HOST", None)
    else:
        os.environ["STORAGE_EMULATOR_HOST"] = previous
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on loopback (no persistence); skips without one."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_port(port)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def shared_stack(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Iterator[Stack]:
    """App + worker on a local feature folder and the SQLite queue (embedded defaults), built
    once per module: starting a worker loads the model. Tests use ``stack``."""
    built = build_stack(tmp_path_factory.mktemp("stack"), mongo, audio_server)
    yield built
    built.stop_worker()


@pytest.fixture
def stack(shared_stack: Stack) -> Stack:
    """The module's app and worker with fresh state: an empty library, queue and feature
    folder, no model settings, a running worker."""
    shared_stack.reset()
    return shared_stack
