"""Which function runs each job kind, bound to the storage, model and queue of this process, and
the queue built with them."""

from __future__ import annotations

from backend.ingest.analyse import ingest_upload, ingest_url
from backend.ingest.backfill import backfill_analyses
from backend.ingest.intake import Intake
from backend.ingest.reembed import reembed_all
from backend.jobs.queue import Queue, Report, Runner
from backend.settings import Settings
from backend.storage.connect import Storage
from backend.storage.documents import Job
from model.embed import Embedder


def job_runners(
    settings: Settings, storage: Storage, embedder: Embedder, queue: Queue
) -> dict[str, Runner]:
    """``{kind: runner}`` for every job kind the API creates; ``queue`` takes the jobs a
    playlist expands into."""
    intake = Intake(
        settings=settings,
        songs=storage.songs,
        jobs=storage.jobs,
        store=storage.store,
        queue=queue,
        model_version=embedder.version,
    )

    def url(job: Job, report: Report) -> str:
        return ingest_url(
            job,
            report,
            settings=settings,
            songs=storage.songs,
            store=storage.store,
            embedder=embedder,
        )

    def upload(job: Job, report: Report) -> str:
        return ingest_upload(
            job,
            report,
            settings=settings,
            songs=storage.songs,
            store=storage.store,
            embedder=embedder,
        )

    def reembed(job: Job, report: Report) -> None:
        reembed_all(job, report, songs=storage.songs, store=storage.store, embedder=embedder)

    def playlist(job: Job, report: Report) -> None:
        intake.expand_playlist(job, report)

    def backfill(job: Job, report: Report) -> None:
        backfill_analyses(
            job,
            report,
            settings=settings,
            songs=storage.songs,
            jobs=storage.jobs,
            store=storage.store,
            embedder=embedder,
        )

    return {
        "ingest_url": url,
        "ingest_upload": upload,
        "reembed": reembed,
        "expand_playlist": playlist,
        "backfill_analyses": backfill,
    }


def build_queue(settings: Settings, storage: Storage, embedder: Embedder) -> Queue:
    """The queue with a runner for every job kind, on this process's storage and model."""
    return Queue(
        settings,
        jobs=storage.jobs,
        store=storage.store,
        runners=lambda queue: job_runners(settings, storage, embedder, queue),
    )
