"""Distributed ingestion: uploads drained from a real Redis queue by two worker processes, one
of them killed with SIGKILL mid-job. Every upload must end as exactly one song."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from functools import partial
from pathlib import Path

from backend.storage.documents import Job
from backend.storage.embedded import EmbeddedMongo
from model.audio import encode
from tests.backend.stack import (
    PROGRESSION_A,
    PROGRESSION_B,
    REPO,
    Stack,
    build_stack,
    synth,
    wait_until,
)

TRACKS = 12


def start_worker(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    """One worker process with one consumer thread, on the stack's settings."""
    env = {**os.environ, **stack.settings.environment(), "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "backend.jobs.worker", "--workers", "1"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def holding(stack: Stack, identity: str) -> Job | None:
    """The running job the worker ``identity`` (``host:pid``) started, if any."""
    return stack.components.jobs.jobs.find_one({"status": "running", "worker": identity})


def test_a_worker_killed_mid_run_loses_and_duplicates_no_song(
    tmp_path: Path, mongo: EmbeddedMongo, audio_server: str, redis_url: str
) -> None:
    stack = build_stack(tmp_path, mongo, audio_server, worker=False, redis_url=redis_url)
    log = tmp_path / "workers.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # Every upload is queued before the workers start, so both find work at once (on a quiet
        # machine short jobs could otherwise end before the second worker takes one).
        job_ids = []
        for i in range(TRACKS):
            progression = PROGRESSION_A if i % 2 else PROGRESSION_B
            path = encode(
                synth(progression, seconds=8, transpose=i % 12, seed=i), tmp_path / f"t{i}.m4a"
            )
            data = {"file": (io.BytesIO(path.read_bytes()), path.name)}
            reply = stack.client.post(
                "/api/songs/upload", data=data, content_type="multipart/form-data"
            )
            assert reply.status_code == 202, reply.get_json()
            job_ids.append(reply.get_json()["job"]["id"])
        workers += [start_worker(stack, log), start_worker(stack, log)]

        jobs = stack.components.jobs.jobs
        wait_until(
            lambda: jobs.count_documents({"_id": {"$in": job_ids}, "status": "running"}) == 2,
            what="both workers running a job",
            timeout=120,
        )
        # Kill a worker while it holds a job. It may finish that job in the instant before the
        # signal lands; then the dead worker holds nothing, so start another and try again.
        held = None
        for _ in range(5):
            victim = workers[-2]
            identity = f"{socket.gethostname()}:{victim.pid}"
            wait_until(
                partial(holding, stack, identity),
                what=f"worker {identity} to hold a job",
                timeout=120,
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            held = holding(stack, identity)
            # As `coverscope serve` or compose's restart policy would: a new worker, which
            # re-queues the dead one's job once its heartbeat is stale.
            if held is not None:
                stack.wait_heartbeat_stale(held["_id"])
                workers.append(start_worker(stack, log))
                break
            workers.append(start_worker(stack, log))
        assert held is not None, "no worker was killed while holding a job"

        done = [stack.wait_job(job_id, timeout=180) for job_id in job_ids]
        assert all(job["status"] == "done" for job in done), [job["error"] for job in done]
        song_ids = [job["song_id"] for job in done]
        assert len(set(song_ids)) == TRACKS
        library = stack.client.get("/api/songs?per_page=100").get_json()
        assert library["total"] == TRACKS
        assert sorted(s["title"] for s in library["items"]) == sorted(
            f"t{i}" for i in range(TRACKS)
        )
        rerun = stack.components.jobs.get(held["_id"])
        assert rerun["attempts"] > 1, "the killed worker's job was not run again"
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
