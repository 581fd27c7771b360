"""JobRepository: background job records (status, stage, progress, heartbeat) in MongoDB.

The queue (Huey) only carries a job id; the record here is what users see and what lets a
restarted worker find jobs whose worker died (stale heartbeat) and run them again.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from backend.storage.db import guarded, now
from backend.storage.documents import Job, JobKind, JobPayload, JobResult
from model.errors import NotFound

STAGES = ("queued", "downloading", "extracting", "embedding", "done", "failed")
ACTIVE = ("queued", "running")


def new_id() -> str:
    return uuid.uuid4().hex


def worker_identity() -> str:
    """``host:pid`` of this process, recorded on a job it starts (read at call time: a forked
    worker has its own pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.jobs: Collection[Job] = db["jobs"]
        self.claims: Collection[dict[str, Any]] = db["claims"]

    @guarded
    def ensure_indexes(self) -> None:
        self.jobs.create_index([("created_at", DESCENDING)])
        self.jobs.create_index([("status", 1), ("heartbeat_at", 1)])

    @guarded
    def create(
        self, kind: JobKind, source: str, payload: JobPayload, *, job_id: str | None = None
    ) -> Job:
        stamp = now()
        doc: Job = {
            "_id": job_id or new_id(),
            "kind": kind,
            "status": "queued",
            "stage": "queued",
            "progress": 0,
            "song_id": None,
            "error": None,
            "source": source,
            "payload": payload,
            "attempts": 0,
            "created_at": stamp,
            "updated_at": stamp,
            "heartbeat_at": stamp,
        }
        self.jobs.insert_one(doc)
        return doc

    @guarded
    def claim(self, key: str, job_id: str) -> str | None:
        """Reserve ``key`` (a video id) for ``job_id``. Returns the job id holding the claim:
        ``job_id`` itself when this call won it, another job's id, or ``None`` when the claim
        vanished between the attempt and the look-up (try again)."""
        try:
            self.claims.insert_one({"_id": key, "job_id": job_id, "created_at": now()})
            return job_id
        except DuplicateKeyError:
            doc = self.claims.find_one({"_id": key})
            return str(doc["job_id"]) if doc else None

    @guarded
    def release(self, key: str, holder: str | None = None) -> None:
        """Drop ``key``'s claim; with ``holder``, only if that job still holds it."""
        query: dict[str, Any] = {"_id": key}
        if holder is not None:
            query["job_id"] = holder
        self.claims.delete_one(query)

    @guarded
    def get(self, job_id: str) -> Job:
        doc = self.jobs.find_one({"_id": job_id})
        if doc is None:
            raise NotFound(f"No job with id {job_id!r}.")
        return doc

    @guarded
    def recent(self, limit: int = 20) -> list[Job]:
        return list(self.jobs.find().sort("created_at", DESCENDING).limit(limit))

    @guarded
    def counts(self) -> dict[str, int]:
        return {
            s: self.jobs.count_documents({"status": s})
            for s in ("queued", "running", "done", "failed")
        }

    @guarded
    def active(self, kind: JobKind) -> Job | None:
        return self.jobs.find_one({"kind": kind, "status": {"$in": list(ACTIVE)}})

    @guarded
    def start(self, job_id: str, *, cut_short_at: datetime | None = None) -> Job | None:
        """Mark a queued job running; ``None`` when it is not queued (finished, or started by
        another message: of two messages for one job only one can start it). With
        ``cut_short_at``, a running job whose heartbeat stopped by then is taken too: that run
        ended in an outage that kept it from being marked queued again."""
        startable: dict[str, Any] = {"status": "queued"}
        if cut_short_at is not None:
            cut_short = {"status": "running", "heartbeat_at": {"$lte": cut_short_at}}
            startable = {"$or": [startable, cut_short]}
        stamp = now()
        return self.jobs.find_one_and_update(
            {"_id": job_id, **startable},
            {
                "$set": {
                    "status": "running",
                    "updated_at": stamp,
                    "heartbeat_at": stamp,
                    "worker": worker_identity(),
                },
                "$inc": {"attempts": 1},
            },
            return_document=ReturnDocument.AFTER,
        )

    @guarded
    def progress(self, job_id: str, stage: str, percent: float) -> None:
        stamp = now()
        self.jobs.update_one(
            {"_id": job_id, "status": "running"},
            {
                "$set": {
                    "stage": stage,
                    "progress": int(max(0, min(100, percent))),
                    "updated_at": stamp,
                    "heartbeat_at": stamp,
                }
            },
        )

    @guarded
    def heartbeat(self, job_id: str) -> None:
        self.jobs.update_one(
            {"_id": job_id, "status": "running"}, {"$set": {"heartbeat_at": now()}}
        )

    @guarded
    def requeue(self, job_id: str, reason: str) -> None:
        self.jobs.update_one(
            {"_id": job_id},
            {
                "$set": {
                    "status": "queued",
                    "stage": "queued",
                    "progress": 0,
                    "note": reason,
                    "updated_at": now(),
                }
            },
        )

    @guarded
    def annotate(self, job_id: str, note: str) -> None:
        """Leave a note for people on the job (what it did beyond making one song)."""
        self.jobs.update_one({"_id": job_id}, {"$set": {"note": note, "updated_at": now()}})

    @guarded
    def finish(self, job_id: str, song_id: str | None) -> None:
        self.jobs.update_one(
            {"_id": job_id},
            {
                "$set": {
                    "status": "done",
                    "stage": "done",
                    "progress": 100,
                    "song_id": song_id,
                    "error": None,
                    "updated_at": now(),
                }
            },
        )

    @guarded
    def set_result(self, job_id: str, result: JobResult) -> None:
        """Record what a library-wide job did (shown with the job)."""
        self.jobs.update_one({"_id": job_id}, {"$set": {"result": result, "updated_at": now()}})

    @guarded
    def fail(self, job_id: str, reason: str) -> None:
        self.jobs.update_one(
            {"_id": job_id},
            {"$set": {"status": "failed", "stage": "failed", "error": reason, "updated_at": now()}},
        )

    @guarded
    def awaits_upload(self, upload_key: str) -> bool:
        """Whether a queued or running job will still read the upload parked at that key."""
        found = self.jobs.find_one(
            {"payload.upload_key": upload_key, "status": {"$in": list(ACTIVE)}}, {"_id": 1}
        )
        return found is not None

    @guarded
    def take_lost(self, lost_after: float) -> Job | None:
        """Atomically take one job queued and untouched for ``lost_after`` seconds (its queue
        message may be lost), touching it so that it is not taken again for as long."""
        stamp = now()
        return self.jobs.find_one_and_update(
            {"status": "queued", "updated_at": {"$lt": stamp - timedelta(seconds=lost_after)}},
            {"$set": {"updated_at": stamp}},
            return_document=ReturnDocument.AFTER,
        )

    @guarded
    def take_orphan(self, stale_after: float) -> Job | None:
        """Atomically take one running job whose heartbeat stopped (its worker died)."""
        cutoff = now() - timedelta(seconds=stale_after)
        return self.jobs.find_one_and_update(
            {"status": "running", "heartbeat_at": {"$lt": cutoff}},
            {
                "$set": {
                    "status": "queued",
                    "stage": "queued",
                    "progress": 0,
                    "updated_at": now(),
                    "heartbeat_at": now(),
                    "note": "its worker stopped; re-run",
                }
            },
            return_document=ReturnDocument.AFTER,
        )
