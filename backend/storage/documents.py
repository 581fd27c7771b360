"""The shapes of what is stored: song documents, job records and their payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from bson import Binary, ObjectId

JobKind = Literal[
    "ingest_url",
    "ingest_upload",
    "reembed",
    "expand_playlist",
    "backfill_analyses",
    "rebuild_graph",
    "rank_clip",
]
JobStatus = Literal["queued", "running", "done", "failed"]


class PackedArray(TypedDict):
    """A float32 array as BSON binary with its shape (never pickle)."""

    data: Binary | bytes
    shape: list[int]
    dtype: str


class SongMeta(TypedDict):
    """Where a song comes from and what it is called, before it is analysed."""

    title: str
    artist: str
    source: str
    """``youtube`` | ``upload`` | ``web``"""
    url: str | None
    video_id: NotRequired[str]
    """The dedupe key of a downloaded source (absent for uploads)."""
    filename: NotRequired[str | None]


class NewSong(SongMeta):
    """A song ready to be stored: its metadata and what the analysis made of it."""

    duration: float
    model_version: str
    hpcp_key: str
    audio_key: str
    audio_mime: str
    analysis_key: NotRequired[str]
    """Feature-store key of the song's ``model.analysis.SongAnalysis`` (absent for songs added
    before analyses existed, until the backfill job computes it)."""
    analysis_version: NotRequired[str]
    """``model.analysis.ANALYSIS_VERSION`` of that analysis."""


class Song(NewSong):
    """A stored song; ``embedding`` only when asked for (listings leave it out)."""

    _id: ObjectId
    tags: list[str]
    notes: str
    search_text: str
    """Title, artist and tags folded for library search (``library_text.song_text``)."""
    created_at: datetime
    updated_at: datetime
    embedding: NotRequired[PackedArray]


class SongEdit(TypedDict, total=False):
    """The fields a user may change."""

    title: str
    artist: str
    tags: list[str]
    notes: str


class FeatureRef(TypedDict):
    """Where a song's HPCP is and which model embedded it."""

    _id: ObjectId
    hpcp_key: str
    model_version: str


class NotAnalysable(TypedDict):
    """A song the backfill could not analyse, and why."""

    song_id: str
    title: str
    reason: str


class ClipHit(TypedDict):
    """One library song of a clip's ranking, as the ``rank_clip`` job keeps it."""

    song_id: str
    source: str
    """``graph`` (fused-scored, ordered by diffusion) | ``first_stage`` (embedding order)"""
    distance: float
    """Embedding distance to the clip."""
    diffused: float | None
    fused: float | None
    components: dict[str, float | None] | None


class JobResult(TypedDict, total=False):
    """What a finished library-wide job did (the backfill: counts and the songs it skipped;
    a graph rebuild: songs linked and pairs scored; a clip query: its ranking)."""

    analysed: int
    not_analysable: list[NotAnalysable]
    linked: int
    scored: int
    ranking: list[ClipHit]


class JobPayload(TypedDict, total=False):
    """What a job needs to run; ``claim`` is the key it holds (a video id, an upload hash)."""

    claim: str
    url: str
    title: str
    artist: str
    upload_key: str
    filename: str
    model_version: str
    analysis_version: str
    stamp: str
    """The graph stamp a ``rebuild_graph`` job builds (``edge_repository.graph_stamp``)."""
    limit: int
    """Songs a ``rank_clip`` job ranks."""


class Job(TypedDict):
    """A background job record: what users see and what lets a worker resume it."""

    _id: str
    kind: JobKind
    status: JobStatus
    stage: str
    """``queued`` | ``downloading`` | ``extracting`` | ``embedding`` | ``listing`` | ``queueing``
    | ``done`` | ``failed``"""
    progress: int
    song_id: str | None
    error: str | None
    source: str
    payload: JobPayload
    attempts: int
    created_at: datetime
    updated_at: datetime
    heartbeat_at: datetime
    worker: NotRequired[str]
    """``host:pid`` of the process that started its latest run."""
    note: NotRequired[str]
    """What a person should know: why it was re-run, what a playlist added."""
    result: NotRequired[JobResult]


class ModelSettings(TypedDict, total=False):
    """The operator's threshold (a fused distance, ``backend.search.calibration``), with the
    scorer version it was set for in ``model_version``."""

    _id: str
    threshold: float
    model_version: str
    updated_at: datetime
