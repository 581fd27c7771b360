"""Durable writes: a write the API acknowledged survives a ``kill -9`` of the database sent
right after the acknowledgement (within 50 ms), every time.

The database is the embedded SecantusDB server restarted by the real ``Supervisor`` (with a
short backoff, so twenty crashes in a row stay quick); the API is the real app, its pymongo
client reconnecting to the restarted server by itself.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from backend.storage.documents import NewSong
from backend.storage.embedded import EmbeddedMongo, free_port, wait_for_mongo
from backend.supervise import Backoff, Child, Supervisor
from tests.backend.stack import Stack, build_stack, wait_until

ROUNDS = 20
KILL_WITHIN_S = 0.05
QUICK = Backoff(initial_s=0.1, factor=1.0, cap_s=0.1)


@contextmanager
def supervised_database(tmp_path: Path) -> Iterator[tuple[EmbeddedMongo, Supervisor]]:
    """An embedded database under a ``Supervisor`` that ticks on a thread until exit."""
    embedded = EmbeddedMongo(tmp_path / "db", port=free_port())
    supervisor = Supervisor([Child("database", embedded.spawn)], backoff=QUICK)
    proc = supervisor.start(supervisor.child("database"))
    wait_for_mongo(embedded.uri, 30.0, proc)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.05):
            supervisor.tick()

    ticker = threading.Thread(target=tick, name="supervisor", daemon=True)
    ticker.start()
    try:
        yield embedded, supervisor
    finally:
        stop.set()
        ticker.join()
        supervisor.stop()


def crash(supervisor: Supervisor, acknowledged_at: float) -> float:
    """``kill -9`` the database; returns how long after ``acknowledged_at`` the signal went."""
    proc = supervisor.child("database").proc
    assert proc is not None and proc.poll() is None, "the database runs before the crash"
    os.kill(proc.pid, signal.SIGKILL)
    gap = time.monotonic() - acknowledged_at
    proc.wait()
    return gap


def back_up(stack: Stack, supervisor: Supervisor, dead_pid: int) -> None:
    """Until the supervisor has restarted the database and the API answers from it again."""

    def restarted() -> bool:
        proc = supervisor.child("database").proc
        return proc is not None and proc.pid != dead_pid and proc.poll() is None

    wait_until(restarted, what="the supervisor to restart the database", timeout=60)
    wait_until(
        lambda: stack.client.get("/api/health").status_code == 200,
        what="health back at 200",
        timeout=60,
    )


def a_song(stack: Stack) -> str:
    song: NewSong = {
        "title": "take 0",
        "artist": "the durable band",
        "source": "upload",
        "url": None,
        "duration": 12.0,
        "model_version": stack.components.embedder.version,
        "hpcp_key": "hpcp/none.npy",
        "audio_key": "audio/none.m4a",
        "audio_mime": "audio/mp4",
    }
    return str(stack.components.songs.insert(song, np.ones(8, np.float32))["_id"])


def test_acknowledged_writes_survive_a_database_crash_right_after_them(
    tmp_path: Path, audio_server: str
) -> None:
    """Twenty rounds, alternating an edit (PATCH, 200) and an accepted job (POST, 202): each
    acknowledgement is followed within 50 ms by ``kill -9`` of the database, and once the
    supervisor has brought it back the write is there."""
    with supervised_database(tmp_path) as (embedded, supervisor):
        db = supervisor.child("database")
        stack = build_stack(tmp_path, embedded, audio_server, worker=False)
        song_id = a_song(stack)
        gaps: list[float] = []
        lost: list[str] = []
        for take in range(1, ROUNDS + 1):
            if take % 2:
                title = f"take {take}"
                reply = stack.client.patch(f"/api/songs/{song_id}", json={"title": title})
                acknowledged_at = time.monotonic()
                assert reply.status_code == 200, reply.get_json()
            else:
                url = f"http://{audio_server}/song_a.m4a?take={take}"
                reply = stack.client.post("/api/songs", json={"url": url})
                acknowledged_at = time.monotonic()
                assert reply.status_code == 202, reply.get_json()
                job_id = reply.get_json()["job"]["id"]
            assert db.proc is not None
            dead = db.proc.pid
            gaps.append(crash(supervisor, acknowledged_at))
            back_up(stack, supervisor, dead)
            if take % 2:
                kept = stack.client.get(f"/api/songs/{song_id}").get_json()["title"]
                if kept != title:
                    lost.append(f"round {take}: PATCH title {title!r}, found {kept!r}")
            elif (code := stack.client.get(f"/api/jobs/{job_id}").status_code) != 200:
                lost.append(f"round {take}: job {job_id} answered 202, then {code}")
        assert max(gaps) < KILL_WITHIN_S, gaps
        assert lost == [], "acknowledged writes lost after kill -9:\n" + "\n".join(lost)
