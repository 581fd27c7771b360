"""Adding songs: the request side of ingestion (validate, dedupe, queue a job).

A video id (or an upload's content hash) is claimed by exactly one job, so two requests racing
for the same video end on the same job and the same song. A playlist is a job of its own: a
worker lists its videos (yt-dlp, which can take a while) and queues a job for each.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import logging
import time
from dataclasses import dataclass, field
from typing import TypedDict

from backend.ingest.sources import playlist_urls, validate_url
from backend.ingest.uploads import (
    UPLOADS,
    probe_upload,
    title_from_filename,
    upload_name,
    upload_suffix,
)
from backend.jobs.queue import Queue, Report
from backend.settings import Settings
from backend.storage.documents import Job, JobKind, JobPayload, Song
from backend.storage.edge_repository import EdgeRepository
from backend.storage.feature_store import FeatureStore
from backend.storage.job_repository import JobRepository, new_id
from backend.storage.song_repository import SongRepository
from model.analysis import ANALYSIS_VERSION
from model.audio import Tags
from model.errors import (
    Conflict,
    CoverscopeError,
    InvalidInput,
    NotFound,
    SourceUnavailable,
    TooLarge,
    Unauthorized,
)

log = logging.getLogger(__name__)

CLAIM_ATTEMPTS = 5
CLAIM_GRACE_S = 5.0
MAX_BULK = 500
PER_URL_ERRORS = (InvalidInput, SourceUnavailable, NotFound, Conflict, Unauthorized)
"""Faults of one URL in a bulk request: reported for that URL, the others still go ahead."""


@dataclass
class Added:
    """Either a queued (or already running) job, or the song that already exists."""

    job: Job | None = None
    song: Song | None = None


class BulkError(TypedDict):
    url: str
    error: str
    code: str


@dataclass
class BulkResult:
    jobs: list[Job] = field(default_factory=list)
    existing: list[Song] = field(default_factory=list)
    errors: list[BulkError] = field(default_factory=list)


def urls_from_csv(data: bytes) -> list[str]:
    """The URL-looking cells of a CSV (any column; a header row is skipped naturally). Rows
    may end in LF, CRLF or a bare CR."""
    text = data.decode("utf-8-sig", errors="replace")
    urls: list[str] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            urls.extend(cell.strip() for cell in row if cell.strip().lower().startswith("http"))
    except csv.Error as exc:
        raise InvalidInput(f"The file is not a readable CSV ({exc}).") from exc
    return urls


@dataclass(frozen=True)
class Intake:
    """Turns requests to add songs into queued jobs (or the song that already exists)."""

    settings: Settings
    songs: SongRepository
    jobs: JobRepository
    store: FeatureStore
    queue: Queue
    model_version: str
    """The current model's version: re-embedding is scheduled for it."""

    def _queue(self, kind: JobKind, source: str, payload: JobPayload) -> Added:
        """Create and enqueue a job unless ``payload['claim']`` is held by another live job."""
        key = payload["claim"]
        for _ in range(CLAIM_ATTEMPTS):
            job_id = new_id()
            holder = self.jobs.claim(key, job_id)
            if holder is None:
                continue
            if holder == job_id:
                try:
                    job = self.jobs.create(kind, source, payload, job_id=job_id)
                    self.queue.enqueue(job_id)
                except BaseException:
                    # Refused, so not left queued for the reaper to run later; and the next
                    # request must not wait on its claim.
                    with contextlib.suppress(CoverscopeError):
                        self.jobs.fail(job_id, "it could not be queued")
                    self.jobs.release(key, job_id)
                    raise
                return Added(job=job)
            held = self._wait_for_job(holder)
            if held and held["status"] in ("queued", "running"):
                return Added(job=held)
            if held and held["status"] == "done" and (song_id := held["song_id"]):
                try:
                    return Added(song=self.songs.get(song_id))
                except NotFound:
                    pass
            # A failed job's, a deleted song's or a crashed request's claim: take it over.
            self.jobs.release(key, holder)
        raise CoverscopeError("could not queue the job; try again")

    def _wait_for_job(self, job_id: str) -> Job | None:
        """The job record of a claim's holder, which may still be writing it; ``None`` if it
        never appears (the request that claimed died before creating its job)."""
        deadline = time.monotonic() + CLAIM_GRACE_S
        while True:
            try:
                return self.jobs.get(job_id)
            except NotFound:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.05)

    def add_url(self, url: str, *, title: str = "", artist: str = "") -> Added:
        source = validate_url(url, self.settings)
        if source.playlist:
            raise InvalidInput("That is a playlist: add it through /api/songs/bulk.")
        existing = self.songs.by_video_id(source.video_id)
        if existing:
            return Added(song=existing)
        payload: JobPayload = {
            "url": source.url,
            "title": title,
            "artist": artist,
            "claim": source.video_id,
        }
        return self._queue("ingest_url", source.url, payload)

    def add_upload(self, data: bytes, filename: str, *, title: str = "", artist: str = "") -> Added:
        """Check the bytes decode as audio, park them in the feature store, queue the analysis."""
        filename, tags = self._accepted(data, filename, noun="file", default="upload")
        suffix = upload_suffix(filename)
        digest = hashlib.sha256(data).hexdigest()
        existing = self.songs.by_audio_key(f"audio/{digest}{suffix}")
        if existing:
            return Added(song=existing)
        upload_key = f"{UPLOADS}{digest}{suffix}"
        self.store.put(upload_key, data)
        payload: JobPayload = {
            "upload_key": upload_key,
            "filename": filename,
            "title": title or tags.title or title_from_filename(filename),
            "artist": artist or tags.artist,
            "claim": f"upload:{digest}",
        }
        return self._queue("ingest_upload", filename, payload)

    def add_playlist(self, url: str) -> Added:
        """Queue the job that lists a playlist's videos and queues each (``expand_playlist``).

        A YouTube URL must have a playlist's form; a test source's page has no such form, so
        its job finds out (and fails when the page lists nothing).
        """
        source = validate_url(url, self.settings)
        if source.kind == "youtube" and not source.playlist:
            raise InvalidInput("That URL is not a playlist.")
        payload: JobPayload = {"url": source.url, "claim": f"playlist:{source.video_id}"}
        return self._queue("expand_playlist", source.url, payload)

    def add_many(self, urls: list[str], *, playlist: str | None = None) -> BulkResult:
        """Queue a job per URL; a playlist (``playlist``, or a playlist URL in ``urls``) gets
        one job that expands it in the background."""
        if not urls and not playlist:
            raise InvalidInput("No URLs given.")
        if len(urls) > MAX_BULK:
            raise TooLarge(f"At most {MAX_BULK} URLs per request.")
        result = BulkResult()
        if playlist:
            self._record(self.add_playlist(playlist), result)
        for url in dict.fromkeys(urls):
            try:
                is_playlist = validate_url(url, self.settings).playlist
            except CoverscopeError:
                is_playlist = False  # reported for this URL by add_url
            self._add_one(url, result, playlist=is_playlist)
        return result

    def expand_playlist(self, job: Job, report: Report) -> None:
        """Runner of an ``expand_playlist`` job: list the playlist's videos, queue a job for
        each (up to ``MAX_BULK``), and note what was queued, already there or refused."""
        source = validate_url(job["payload"]["url"], self.settings)
        report("listing", 0)
        urls = list(dict.fromkeys(playlist_urls(source, self.settings, limit=MAX_BULK)))
        if not urls:
            raise SourceUnavailable("The playlist lists no videos.")
        result = BulkResult()
        for i, url in enumerate(urls):
            self._add_one(url, result, playlist=False)
            report("queueing", 100.0 * (i + 1) / len(urls))
        self.jobs.annotate(job["_id"], playlist_note(result))

    def _add_one(self, url: str, result: BulkResult, *, playlist: bool) -> None:
        """Add one URL to ``result``: its job, its existing song, or why it was refused."""
        try:
            added = self.add_playlist(url) if playlist else self.add_url(url)
        except PER_URL_ERRORS as exc:
            result.errors.append({"url": url, "error": exc.message, "code": exc.code})
            return
        self._record(added, result)

    @staticmethod
    def _record(added: Added, result: BulkResult) -> None:
        if added.job:
            result.jobs.append(added.job)
        elif added.song:
            result.existing.append(added.song)

    def schedule_backfill(self, *, force: bool = False) -> Added:
        """Queue one job analysing every song without a current analysis (if any, or ``force``)."""
        if not force and self.songs.count_without_analysis(ANALYSIS_VERSION) == 0:
            return Added()
        payload: JobPayload = {"analysis_version": ANALYSIS_VERSION}
        return self._queue_single(
            "backfill_analyses",
            f"analyses v{ANALYSIS_VERSION}",
            payload,
            claim=("backfill", ANALYSIS_VERSION),
            force=force,
        )

    def schedule_reembed(self, *, force: bool = False) -> Added:
        """Queue one re-embedding job for the current model (if songs need it, or ``force``)."""
        version = self.model_version
        if not force and self.songs.count_stale(version) == 0:
            return Added()
        payload: JobPayload = {"model_version": version}
        return self._queue_single(
            "reembed", f"model {version}", payload, claim=("reembed", version), force=force
        )

    def schedule_graph(self, edges: EdgeRepository, stamp: str, *, force: bool = False) -> Added:
        """Queue one job rebuilding the neighbour graph with ``stamp`` (the current scorer and
        model) unless the graph already has it; an empty library just takes the stamp."""
        if not force and edges.stamp() == stamp:
            return Added()
        if not force and self.songs.count() == 0:
            edges.drop_stale(stamp, keep=set())
            return Added()
        payload: JobPayload = {"stamp": stamp}
        return self._queue_single(
            "rebuild_graph", f"graph {stamp}", payload, claim=("graph", stamp), force=force
        )

    def _queue_single(
        self,
        kind: JobKind,
        source: str,
        payload: JobPayload,
        *,
        claim: tuple[str, str],
        force: bool,
    ) -> Added:
        """Queue a library-wide job of ``kind`` unless one is active already (then that one).
        It holds the claim ``"<prefix>:<what it brings up to date>"`` from ``claim``, so the
        same work is queued once; a forced run holds a claim of its own."""
        active = self.jobs.active(kind)
        if active:
            return Added(job=active)
        prefix, target = claim
        payload["claim"] = f"{prefix}:{new_id() if force else target}"
        return self._queue(kind, source, payload)

    def _accepted(self, data: bytes, filename: str, *, noun: str, default: str) -> tuple[str, Tags]:
        """An upload's cleaned file name and tags, once its size is within the cap, it is not
        empty and it probes as audio (``TooLarge`` 413, ``InvalidInput`` 400,
        ``UndecodableAudio`` 422)."""
        limit = self.settings.max_upload_bytes
        if len(data) > limit:
            raise TooLarge(f"The {noun} is over the {limit}-byte limit.")
        if not data:
            raise InvalidInput(f"The uploaded {noun} is empty.")
        filename = upload_name(filename, default=default)
        return filename, probe_upload(data, filename, settings=self.settings)

    def rank_clip(self, data: bytes, filename: str, *, limit: int) -> Job:
        """Check the clip decodes, park it in the feature store, queue its ranking job."""
        filename, _ = self._accepted(data, filename, noun="clip", default="clip")
        job_id = new_id()
        upload_key = f"uploads/clip-{job_id}{upload_suffix(filename)}"
        self.store.put(upload_key, data)
        payload: JobPayload = {
            "upload_key": upload_key,
            "filename": filename,
            "limit": limit,
            "claim": f"rank:{job_id}",
        }
        added = self._queue("rank_clip", filename, payload)
        assert added.job is not None  # the claim is new: nothing else can hold it
        return added.job


def playlist_note(result: BulkResult) -> str:
    """What a playlist job did, in a sentence: "3 songs queued, 1 already in the library, ..."."""
    parts = [f"{len(result.jobs)} song(s) queued"]
    if result.existing:
        parts.append(f"{len(result.existing)} already in the library")
    if result.errors:
        refused = "; ".join(f"{e['url']}: {e['error']}" for e in result.errors[:5])
        more = f" and {len(result.errors) - 5} more" if len(result.errors) > 5 else ""
        parts.append(f"{len(result.errors)} refused ({refused}{more})")
    return ", ".join(parts) + "."
