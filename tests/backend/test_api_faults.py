"""Faults: the database goes away and comes back, the bucket is unreachable, a worker dies."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from backend.storage.embedded import EmbeddedMongo, free_port
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


def test_an_accepted_job_outlives_a_database_outage_longer_than_its_old_retries(
    tmp_path: Path, audio_server: str
) -> None:
    """A job accepted with 202 meets a database outage mid-run: it keeps trying (here far
    more often than the two retries that used to end it), and once the database is back it
    ends done, its song stored once. A job whose outage outlasts ``job_outage_s`` ends failed
    with the reason, not missing and not stuck."""
    db = EmbeddedMongo(tmp_path / "db", port=free_port()).start()
    stack = build_stack(
        tmp_path,
        db,
        audio_server,
        mongodb_timeout_ms=500,
        job_retry_delay_s=0.2,
        job_retry_cap_s=0.5,
        job_outage_s=600.0,
    )
    try:
        reply = stack.client.post(
            "/api/songs", json={"url": f"http://{audio_server}/slow/song_a.m4a"}
        )
        assert reply.status_code == 202, reply.get_json()
        job_id = reply.get_json()["job"]["id"]
        wait_until(
            lambda: stack.client.get(f"/api/jobs/{job_id}").get_json()["stage"] == "downloading",
            what="the download to start",
        )
        db.stop()
        wait_until(lambda: retries_logged(stack, job_id) >= 4, what="four retries", timeout=90)
        db.start()
        done = stack.wait_job(job_id)
        assert done["status"] == "done", done
        assert stack.client.get("/api/songs").get_json()["total"] == 1
    finally:
        stack.stop_worker()
        db.stop()


def test_a_job_waits_out_a_database_outage_longer_than_its_patience(
    tmp_path: Path, audio_server: str
) -> None:
    """The database goes down after the 202 and before any worker takes the job, and stays
    down longer than ``job_outage_s``. Nothing can record a failure while the database is
    down, so the job keeps its queue message and runs once the database is back: it ends done,
    never missing nor queued for ever. (With the database up and the bucket down, the same
    patience ends the job failed with the reason: the bucket test above.)"""
    db = EmbeddedMongo(tmp_path / "db", port=free_port()).start()
    stack = build_stack(
        tmp_path,
        db,
        audio_server,
        worker=False,
        mongodb_timeout_ms=500,
        job_retry_delay_s=0.2,
        job_retry_cap_s=0.5,
        job_outage_s=2.0,
    )
    try:
        reply = stack.client.post("/api/songs", json={"url": f"http://{audio_server}/song_b.m4a"})
        assert reply.status_code == 202, reply.get_json()
        job_id = reply.get_json()["job"]["id"]
        db.stop()
        stack.start_worker()

        def outage_outlasted() -> bool:
            assert stack.log_path is not None
            return any(
                f"job {job_id}: " in line and int(line.rsplit("outage for ", 1)[1][:-3]) > 2
                for line in stack.log_path.read_text().splitlines()
                if "outage for " in line
            )

        wait_until(outage_outlasted, what="an outage longer than job_outage_s", timeout=90)
        db.start()
        done = stack.wait_job(job_id)
        assert done["status"] == "done", done
        assert stack.client.get("/api/songs").get_json()["total"] == 1
    finally:
        stack.stop_worker()
        db.stop()
