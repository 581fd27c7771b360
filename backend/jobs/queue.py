"""Background jobs on Huey: SQLite on one machine, Redis when workers are spread out.

The queue message is a job id (a retry's also says since when its outage lasts); the job record
(``JobRepository``) carries status, stage, progress and the reason of a failure. A worker
heartbeats the record while it runs, so a worker that dies mid-job leaves a stale heartbeat
that any worker later re-runs (or fails once it has used its attempts). A job meeting a
database or bucket outage is retried with backoff for as long as ``Settings.job_outage_s``
(see ``Queue``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab

from backend.backoff import Backoff
from backend.ingest.scratch import reap_scratch
from backend.ingest.uploads import UPLOADS
from backend.settings import Settings
from backend.storage.documents import Job
from backend.storage.feature_store import FeatureStore
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


class Outage(StorageUnavailable):
    """A job's run stopped because the database or the bucket was unreachable (raised and
    caught within ``Queue``)."""

    def __init__(self, message: str, *, cut_short_at: float | None = None) -> None:
        super().__init__(message)
        self.cut_short_at = cut_short_at
        """When the run ended, if its record could not be marked queued again (Unix s)."""


class Queue:
    """The Huey instance and its tasks, running each job kind with its runner.

    A job that meets an outage (``StorageUnavailable``: the database or the bucket) is queued
    again with backoff (``job_retry_delay_s`` doubling up to ``job_retry_cap_s``) for as long
    as the outage lasts, up to ``job_outage_s``; then it fails with the reason. The retry is a
    new queue message carrying when the outage began, so it outlives the worker too."""

    def __init__(
        self,
        settings: Settings,
        *,
        jobs: JobRepository,
        runners: Callable[[Queue], Mapping[str, Runner]],
        store: FeatureStore,
    ) -> None:
        """``runners(queue)`` gives the runner of each job kind; it is handed the queue being
        built because some jobs (a playlist's) queue more jobs. ``store`` holds the uploads
        parked for jobs; a job that fails has its upload removed."""
        self.settings = settings
        self.huey = make_huey(settings)
        self.jobs = jobs
        self.store = store
        self.runners = dict(runners(self))
        self.backoff = Backoff(initial_s=settings.job_retry_delay_s, cap_s=settings.job_retry_cap_s)

        def run_job(
            job_id: str,
            outage_since: float | None = None,
            failures: int = 0,
            cut_short_at: float | None = None,
        ) -> None:
            self.run(
                job_id, outage_since=outage_since, failures=failures, cut_short_at=cut_short_at
            )

        def reap_orphans() -> None:
            try:
                self.reap()
            except StorageUnavailable as exc:
                log.warning("orphaned jobs not looked for: %s", exc.message)

        # huey has no type hints: register the tasks by calling its decorators.
        self._run_job: Any = self.huey.task(name="run_job")(run_job)
        self.huey.periodic_task(crontab(minute="*"), name="reap_orphans")(reap_orphans)

    def enqueue(self, job_id: str) -> None:
        self._run_job(job_id)

    def run(
        self,
        job_id: str,
        *,
        outage_since: float | None = None,
        failures: int = 0,
        cut_short_at: float | None = None,
    ) -> None:
        """Execute one job record. Through an outage, queue the job again later (see the class)
        rather than raise: a task that raised would be Huey's to drop. ``cut_short_at`` (Unix
        seconds) is when a previous run ended in the outage while the record still said
        running."""
        try:
            self._attempt(job_id, cut_short_at=cut_short_at)
        except Outage as outage:
            since = time.time() if outage_since is None else outage_since
            lasted = time.time() - since
            cut_short_at = outage.cut_short_at or cut_short_at
            if lasted >= self.settings.job_outage_s and self._give_up(
                job_id, f"{outage.message} (for {lasted:.0f} s; gave up)", cut_short_at
            ):
                return
            wait = self.backoff.delay(failures=failures + 1)
            log.warning(
                "job %s: %s; trying again in %.1f s (outage for %.0f s)",
                job_id,
                outage.message,
                wait,
                lasted,
            )
            retry = {"outage_since": since, "failures": failures + 1, "cut_short_at": cut_short_at}
            self._run_job.schedule(args=(job_id,), kwargs=retry, delay=wait)

    def _attempt(self, job_id: str, *, cut_short_at: float | None) -> None:
        """Run the job once; raises ``Outage`` when the database or the bucket stopped it."""
        jobs = self.jobs
        cut_short = None if cut_short_at is None else datetime.fromtimestamp(cut_short_at, UTC)
        try:
            job = jobs.start(job_id, cut_short_at=cut_short)
        except StorageUnavailable as exc:
            raise Outage(exc.message) from exc
        if job is None:
            log.info("job %s is not queued (finished or taken); skipping", job_id)
            return

        def report(stage: str, percent: float) -> None:
            jobs.progress(job_id, stage, percent)

        reason: str | None = None
        try:
            with heartbeat(jobs, job_id, every=self.settings.heartbeat_s):
                song_id = self.runners[job["kind"]](job, report)
        except StorageUnavailable as exc:
            try:
                jobs.requeue(job_id, f"{exc.message}; retrying")
            except StorageUnavailable:
                raise Outage(exc.message, cut_short_at=time.time()) from exc
            raise Outage(exc.message) from exc
        except CoverscopeError as exc:
            reason = exc.message
        except Exception as exc:
            log.exception("job %s crashed", job_id)
            reason = f"Internal error: {type(exc).__name__}"
        try:
            if reason is not None:
                self._fail(job, reason)
            else:
                jobs.finish(job_id, song_id)
                log.info("job %s done (song %s)", job_id, song_id)
        except StorageUnavailable as exc:
            # Still running in the record: the retry takes it and runs it again, which ends
            # the same way (a stored song is found, not made twice).
            raise Outage(exc.message, cut_short_at=time.time()) from exc

    def _give_up(self, job_id: str, reason: str, cut_short_at: float | None) -> bool:
        """Fail the job after an outage that outlasted ``job_outage_s``; ``False`` when even
        that cannot be written (the outage goes on: keep the message and try again later)."""
        cut_short = None if cut_short_at is None else datetime.fromtimestamp(cut_short_at, UTC)
        try:
            job = self.jobs.start(job_id, cut_short_at=cut_short)
            if job is not None:
                self._fail(job, reason)
        except StorageUnavailable:
            return False
        return True

    def _fail(self, job: Job, reason: str) -> None:
        """Record the failure, then let go of what the job held: its claim (so the same video
        or file can be added again) and its parked upload."""
        job_id = job["_id"]
        log.warning("job %s failed: %s", job_id, reason)
        self.jobs.fail(job_id, reason)
        payload = job["payload"]
        if claim := payload.get("claim"):
            self.jobs.release(claim, job_id)
        if upload := payload.get("upload_key"):
            try:
                self.store.delete(upload)
            except StorageUnavailable as exc:
                log.warning("parked upload %s of failed job %s kept: %s", upload, job_id, exc)

    def reap(self) -> int:
        """Re-run (or fail) jobs whose worker died, queue again jobs whose queue message was
        lost, remove the scratch folders of killed processes and the uploads no job awaits;
        returns how many jobs were found."""
        reap_scratch(self.settings)
        self.reap_uploads()
        found = 0
        while (job := self.jobs.take_orphan(self.settings.job_stale_s)) is not None:
            found += 1
            if job["attempts"] > self.settings.job_retries:
                self._fail(job, "The worker running this job stopped repeatedly; giving up.")
            else:
                log.warning("job %s lost its worker; queueing it again", job["_id"])
                self.enqueue(job["_id"])
        while (job := self.jobs.take_lost(self.settings.job_lost_s)) is not None:
            found += 1
            log.warning("job %s has waited in the queue for long; queueing it again", job["_id"])
            self.enqueue(job["_id"])
        return found

    def reap_uploads(self) -> int:
        """Remove parked uploads that no queued or running job awaits (a request that died
        between parking the file and queueing its job, or a job that failed where its upload
        could not be removed); returns how many went. An upload parked within the last
        ``job_stale_s`` is left alone: its request may still be queueing its job."""
        cutoff = time.time() - self.settings.job_stale_s
        removed = 0
        for key in self.store.written_before(UPLOADS, cutoff):
            if not self.jobs.awaits_upload(key):
                self.store.delete(key)
                removed += 1
                log.info("removed orphaned upload %s", key)
        return removed
