"""Faults: the database goes away and comes back, the bucket is unreachable, a worker dies."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from backend.storage.documents import JobPayload
from backend.storage.embedded import EmbeddedMongo, free_port
from backend.storage.feature_store import GCSStore
from tests.backend.stack import Stack, build_stack, wait_until


def test_database_down_gives_503_and_the_app_recovers(tmp_path: Path, audio_server: str) -> None:
    db = EmbeddedMongo(tmp_path / "db", port=free_port()).start()
    try:
        stack = build_stack(tmp_path, db, audio_server, worker=False, mongodb_timeout_ms=500)
        client = stack.client
        assert client.get("/api/songs").status_code == 200
        db.stop()
        for path in ("/api/songs", "/api/jobs", "/api/stats"):
            reply = client.get(path)
            assert reply.status_code == 503, path
            assert reply.get_json()["error"]["code"] == "storage_unavailable"
        health = client.get("/api/health")
        assert health.status_code == 503
        assert health.get_json()["status"] == "degraded" and health.get_json()["db"] != "ok"
        add = client.post("/api/songs", json={"url": f"http://{audio_server}/song_a.m4a"})
        assert add.status_code == 503
        db.start()
        assert client.get("/api/songs").status_code == 200
        assert client.get("/api/health").get_json()["status"] == "ok"
    finally:
        db.stop()


def test_unreachable_bucket_retries_then_fails_with_a_reason(
    tmp_path: Path, mongo: EmbeddedMongo, audio_server: str, gcs_emulator: str
) -> None:
    stack = build_stack(
        tmp_path,
        mongo,
        audio_server,
        worker=False,
        feature_store="gs://nowhere",
        store_timeout_s=1.0,
        job_retry_delay_s=0.2,
        job_outage_s=2.0,
    )
    dead = f"http://127.0.0.1:{free_port()}"
    stack.start_worker(STORAGE_EMULATOR_HOST=dead)
    try:
        job = stack.add("song_a.m4a", audio_server)
        assert job["status"] == "failed"
        assert "bucket unreachable" in job["error"] and "gave up" in job["error"]
        assert job["attempts"] >= 2
        assert stack.client.get("/api/songs").get_json()["total"] == 0
    finally:
        stack.stop_worker()


def test_worker_killed_mid_job_is_rerun_without_half_written_songs(
    tmp_path: Path, mongo: EmbeddedMongo, audio_server: str
) -> None:
    stack = build_stack(tmp_path, mongo, audio_server, job_stale_s=2.0)
    reply = stack.client.post("/api/songs", json={"url": f"http://{audio_server}/slow/song_a.m4a"})
    job_id = reply.get_json()["job"]["id"]

    def downloading() -> dict[str, Any] | None:
        job: dict[str, Any] = stack.client.get(f"/api/jobs/{job_id}").get_json()
        return job if job["stage"] == "downloading" and job["progress"] > 0 else None

    job = wait_until(downloading, what="the download to start")
    assert job["status"] == "running", job
    stack.stop_worker(signal.SIGKILL)
    assert stack.client.get("/api/songs").get_json()["total"] == 0
    assert stack.client.get(f"/api/jobs/{job_id}").get_json()["status"] == "running"
    stack.wait_heartbeat_stale(job_id)
    stack.start_worker()
    try:
        done = stack.wait_job(job_id)
        assert done["status"] == "done", done
        assert done["attempts"] == 2
        assert stack.client.get("/api/songs").get_json()["total"] == 1
    finally:
        stack.stop_worker()


def retries_logged(stack: Stack, job_id: str) -> int:
    """How many times the worker has put ``job_id`` off until later because of an outage."""
    assert stack.log_path is not None
    lines = stack.log_path.read_text().splitlines()
    return sum(f"job {job_id}: " in line and "trying again in" in line for line in lines)


def test_accepted_jobs_outlive_database_outages(tmp_path: Path, audio_server: str) -> None:
    """Jobs accepted with 202 meet a database outage, before a worker took them or mid-run.
    They keep trying (more often than the two retries that used to end them), and once the
    database is back they end done, each song stored once. (An outage that outlasts
    ``job_outage_s`` ends a job failed with the reason: the bucket test above.)"""
    db = EmbeddedMongo(tmp_path / "db", port=free_port()).start()
    stack = build_stack(
        tmp_path,
        db,
        audio_server,
        worker=False,
        mongodb_timeout_ms=500,
        job_retry_delay_s=0.2,
        job_retry_cap_s=0.5,
        job_outage_s=600.0,
    )
    try:
        # Before any worker took it: the database dies right after the 202.
        reply = stack.client.post("/api/songs", json={"url": f"http://{audio_server}/song_b.m4a"})
        assert reply.status_code == 202, reply.get_json()
        waiting = reply.get_json()["job"]["id"]
        db.stop()
        stack.start_worker()
        wait_until(lambda: retries_logged(stack, waiting) >= 4, what="four retries", timeout=90)
        db.start()
        assert stack.wait_job(waiting)["status"] == "done"

        # Mid-run: the database dies while the song downloads.
        reply = stack.client.post(
            "/api/songs", json={"url": f"http://{audio_server}/slow/song_a.m4a"}
        )
        assert reply.status_code == 202, reply.get_json()
        running = reply.get_json()["job"]["id"]
        wait_until(
            lambda: stack.client.get(f"/api/jobs/{running}").get_json()["stage"] == "downloading",
            what="the download to start",
        )
        db.stop()
        wait_until(lambda: retries_logged(stack, running) >= 4, what="four retries", timeout=90)
        db.start()
        assert stack.wait_job(running)["status"] == "done"
        assert stack.client.get("/api/songs").get_json()["total"] == 2
    finally:
        stack.stop_worker()
        db.stop()


def test_the_reaper_removes_uploads_no_job_awaits(stack: Stack) -> None:
    """A request that died between parking its upload and queueing its job leaves the file
    behind: the reaper removes it once it is older than ``job_stale_s``, and keeps an upload a
    queued job still awaits, and one just parked (its request may still be queueing)."""
    store = stack.components.store
    orphan, awaited, fresh = (f"uploads/{c * 64}.m4a" for c in "abc")
    for key in (orphan, awaited, fresh):
        store.put(key, b"\0" * 1000)
    old = time.time() - stack.settings.job_stale_s - 60
    for key in (orphan, awaited):
        os.utime(stack.settings.feature_dir / key, (old, old))
    payload: JobPayload = {"upload_key": awaited, "filename": "x.m4a", "claim": "upload:b"}
    stack.components.jobs.create("ingest_upload", "x.m4a", payload)

    assert stack.components.queue.reap_uploads() == 1
    assert not (stack.settings.feature_dir / orphan).exists()
    assert store.get(awaited) and store.get(fresh)


def test_a_bucket_lists_uploads_written_before_a_time(gcs_emulator: str) -> None:
    """The reaper's listing on a bucket (with a key prefix), against the GCS emulator."""
    store = GCSStore("reaper-listing", "coverscope/features", timeout=5.0)
    store.ensure_bucket()
    store.put("uploads/parked.m4a", b"\0" * 10)
    store.put("audio/song.m4a", b"\0" * 10)
    assert store.written_before("uploads/", time.time() + 60) == ["uploads/parked.m4a"]
    assert store.written_before("uploads/", time.time() - 3600) == []
