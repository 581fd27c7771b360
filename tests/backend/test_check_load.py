"""Pair checks under load: a bounded pool of their own, 429 with Retry-After beyond it, cached
results, and cheap requests that still answer while the pool is full.

The pool is held full by a task that blocks reading a named pipe until the test writes to it,
so nothing here depends on how fast a check runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.search.cpu_pool import CpuPool
from backend.search.pair_check import PRELOAD
from backend.storage.embedded import EmbeddedMongo
from model.errors import Overloaded
from tests.backend.stack import REPO, Stack, build_stack, wait_until


class Blocker:
    """A pool task that runs until ``release``: it reads a named pipe nobody writes yet."""

    def __init__(self, pool: CpuPool, folder: Path, name: str) -> None:
        self.fifo = folder / name
        os.mkfifo(self.fifo)
        self.result: list[str] = []
        self.thread = threading.Thread(target=self._run, args=(pool,), daemon=True)
        self.thread.start()

    def _run(self, pool: CpuPool) -> None:
        self.result.append(pool.run(Path.read_text, self.fifo))

    def release(self) -> str:
        with self.fifo.open("w") as pipe:
            pipe.write("released")
        self.thread.join(30)
        return self.result[0]


def test_the_pool_admits_processes_plus_queue_tasks_and_refuses_more(tmp_path: Path) -> None:
    pool = CpuPool(processes=1, queue=1)
    try:
        assert pool.run(sum, [1, 2, 3]) == 6  # the work runs in a pool process
        first = Blocker(pool, tmp_path, "first")
        second = Blocker(pool, tmp_path, "second")  # waits behind the first
        wait_until(lambda: pool.busy == 2, what="both blockers admitted")
        with pytest.raises(Overloaded) as refused:
            pool.run(sum, [1])
        assert refused.value.retry_after >= 1
        assert first.release() == "released" and second.release() == "released"
        assert pool.busy == 0
        assert pool.run(sum, [4, 5]) == 9  # room again
        with pytest.raises(ValueError):
            pool.run(int, "not a number")  # the task's own error reaches the caller
    finally:
        pool.close()


@pytest.fixture(scope="module")
def small_pool_stack(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Iterator[Stack]:
    """App + worker whose API runs one check at a time and lets none wait."""
    built = build_stack(
        tmp_path_factory.mktemp("checkload"),
        mongo,
        audio_server,
        check_processes=1,
        check_queue=0,
    )
    yield built
    built.stop_worker()
    built.components.checker.pool.close()


def test_a_full_check_pool_answers_429_and_never_blocks_cheap_requests(
    small_pool_stack: Stack, audio_server: str, tmp_path: Path
) -> None:
    stack = small_pool_stack
    stack.reset()
    client = stack.client
    song = stack.add("song_a.m4a", audio_server)
    cover = stack.add("cover_a.m4a", audio_server)
    a, b = song["song_id"], cover["song_id"]
    first = client.get(f"/api/check?a={a}&b={b}")
    assert first.status_code == 200 and first.get_json()["is_cover"]

    blocker = Blocker(stack.components.checker.pool, tmp_path, "hold")
    wait_until(lambda: stack.components.checker.pool.busy == 1, what="the pool to be full")
    try:
        refused = client.get(f"/api/check?a={b}&b={a}")  # not computed yet: needs the pool
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.get_json()["error"]["code"] == "overloaded"
        picture = client.get(f"/api/check/{b}/{a}/similarity.png")
        assert picture.status_code == 429

        cached = client.get(f"/api/check?a={a}&b={b}")  # made before: from the cache
        assert cached.status_code == 200 and cached.get_json() == first.get_json()
        listed = client.get("/api/songs")
        assert listed.status_code == 200 and listed.get_json()["total"] == 2
        ranked = client.get(f"/api/rank?song={a}")
        assert ranked.status_code == 200 and ranked.get_json()["results"][0]["song"]["id"] == b
        reranked = client.get(f"/api/rank?song={a}&rerank=1")  # re-scores on the pool
        assert reranked.status_code == 429 and int(reranked.headers["Retry-After"]) >= 1
        job = client.get(f"/api/jobs/{song['id']}")
        assert job.status_code == 200 and job.get_json()["status"] == "done"
    finally:
        blocker.release()

    back = client.get(f"/api/check?a={b}&b={a}")
    assert back.status_code == 200
    assert (
        back.get_json()["is_cover"]
        and back.get_json()["key_shift"] == -first.get_json()["key_shift"]
    )
    assert client.get(f"/api/check/{b}/{a}/similarity.png").data[:4] == b"\x89PNG"
    reranked = client.get(f"/api/rank?song={a}&rerank=1").get_json()["results"][0]
    assert reranked["source"] == "rerank"
    assert reranked["fused"] == pytest.approx(-back.get_json()["distance"], abs=1e-3)


def test_the_check_routes_document_their_429(small_pool_stack: Stack) -> None:
    spec = small_pool_stack.client.get("/api/openapi.json").get_json()
    for path in (
        "/api/check",
        "/api/check/report",
        "/api/check/{a}/{b}/similarity.png",
        "/api/rank",
    ):
        assert "429" in spec["paths"][path]["get"]["responses"], path


def test_the_check_processes_do_not_load_torch() -> None:
    """A pool process imports only what scoring needs: torch (~300 MB) stays in the API."""
    preload = "; ".join(f"import {name}" for name in PRELOAD)
    probe = f"{preload}; import sys; print('torch' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
