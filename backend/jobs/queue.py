"""Background jobs on Huey: SQLite on one machine, Redis when workers are spread out.

The queue message is only a job id; the job record (``JobRepository``) carries status, stage,
progress and the reason of a failure. A worker heartbeats the record while it runs, so a
worker that dies mid-job leaves a stale heartbeat that any worker later re-runs (or fails once
it has used its attempts).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from backend.ingest.scratch import reap_scratch
from backend.settings import Settings
from backend.storage.documents import Job
from backend.storage.job_repository import JobRepository
from model.errors import CoverscopeError, StorageUnavailable

log = logging.getLogger(__name__)

Report = Callable[[str, float], None]
"""Called with (stage, percent of the whole job)."""
Runner = Callable[[Job, Report], str | None]
"""Runs one job record of its kind; returns the id of the song it made, if any."""


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # fsync: a job answered 202 keeps its queue message through a crash or a power cut.
    return SqliteHuey(settings.queue_name, filename=str(settings.queue_path), fsync=True)


@contextmanager
def heartbeat(jobs: JobRepository, job_id: str, *, every: float) -> Iterator[None]:
    """Touch the job record every ``every`` seconds while the body runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                jobs.heartbeat(job_id)
            except StorageUnavailable:
                log.warning("heartbeat for job %s missed: database unreachable", job_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)


class Queue:
    """The Huey instance and its tasks, running each job kind with its runner."""

    def __init__(
        self,
        settings: Settings,
        *,
        jobs: JobRepository,
        runners: Callable[[Queue], Mapping[str, Runner]],
    ) -> None:
        """``runners(queue)`` gives the runner of each job kind; it is handed the queue being
        built because some jobs (a playlist's) queue more jobs."""
        self.settings = settings
        self.huey = make_huey(settings)
        self.jobs = jobs
        self.runners = dict(runners(self))
        retries = settings.job_retries
        delay = int(max(0, settings.job_retry_delay_s))

        def run_job(job_id: str, task: Any = None) -> None:
            self.run(job_id, retries_left=task.retries if task is not None else 0)

        def reap_orphans() -> None:
            self.reap()

        # huey has no type hints: register the tasks by calling its decorators.
        self._run_job: Callable[[str], object] = self.huey.task(
            retries=retries, retry_delay=delay, context=True, name="run_job"
        )(run_job)
        self.huey.periodic_task(crontab(minute="*"), name="reap_orphans")(reap_orphans)

    def enqueue(self, job_id: str) -> None:
        self._run_job(job_id)

    def run(self, job_id: str, *, retries_left: int = 0) -> None:
        """Execute one job record; raise (so Huey retries) only on transient storage faults."""
        jobs = self.jobs
        job = jobs.start(job_id)
        if job is None:
            log.info("job %s is no longer active; skipping", job_id)
            return

        def report(stage: str, percent: float) -> None:
            jobs.progress(job_id, stage, percent)

        claim = job["payload"].get("claim")
        try:
            with heartbeat(jobs, job_id, every=self.settings.heartbeat_s):
                song_id = self.runners[job["kind"]](job, report)
        except StorageUnavailable as exc:
            if retries_left > 0:
                log.warning("job %s: %s; retrying (%d left)", job_id, exc.message, retries_left)
                jobs.requeue(job_id, exc.message)
                raise
            self._fail(job_id, f"{exc.message} (gave up after retries)", claim)
        except CoverscopeError as exc:
            self._fail(job_id, exc.message, claim)
        except Exception as exc:
            log.exception("job %s crashed", job_id)
            self._fail(job_id, f"Internal error: {type(exc).__name__}", claim)
        else:
            jobs.finish(job_id, song_id)
            log.info("job %s done (song %s)", job_id, song_id)

    def _fail(self, job_id: str, reason: str, claim: str | None) -> None:
        log.warning("job %s failed: %s", job_id, reason)
        self.jobs.fail(job_id, reason)
        if claim:
            self.jobs.release(claim, job_id)

    def reap(self) -> int:
        """Re-run (or fail) jobs whose worker died and remove the scratch folders of killed
        processes; returns how many jobs were found."""
        reap_scratch(self.settings)
        found = 0
        while (job := self.jobs.take_orphan(self.settings.job_stale_s)) is not None:
            found += 1
            if job["attempts"] > self.settings.job_retries:
                self._fail(
                    job["_id"],
                    "The worker running this job stopped repeatedly; giving up.",
                    job["payload"].get("claim"),
                )
            else:
                log.warning("job %s lost its worker; queueing it again", job["_id"])
                self.enqueue(job["_id"])
        return found
