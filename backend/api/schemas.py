"""Request and response schemas, declared once: they validate input and publish the OpenAPI spec.

Output schemas mark ``required`` exactly the fields every answer carries (``allow_none`` those
that may be null), so the spec, the generated web client and the fuzz test agree on what is
always there and what only sometimes is.
"""

from __future__ import annotations

from typing import Any, ClassVar, get_args

from apiflask import Schema, fields, validators
from marshmallow import ValidationError, validates_schema

from backend.api.errors import error_codes
from backend.search.library_map import MAX_POINTS as MAP_MAX_POINTS
from backend.search.ranking import MAX_RERANK
from backend.storage.documents import JobKind
from backend.storage.song_repository import SORTABLE

JOB_KINDS = get_args(JobKind)
JOB_STATUSES = ("queued", "running", "done", "failed")
JOB_STAGES = (
    "queued",
    "downloading",
    "extracting",
    "embedding",
    "decoding",
    "analysing",
    "listing",
    "queueing",
    "linking",
    "first stage",
    "scoring",
    "done",
    "failed",
)
SOURCES = ("youtube", "upload", "web")
MAX_TITLE = 300


def ref(name: str) -> dict[str, str]:
    """An OpenAPI reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def one_of(*variants: dict[str, Any], description: str) -> fields.Raw:
    """A field that is exactly one of ``variants`` (JSON schemas), dumped as given."""
    return fields.Raw(required=True, metadata={"oneOf": list(variants), "description": description})


def binary(description: str) -> fields.Raw:
    """A required file field of a multipart form (the handler reads it from ``request.files``)."""
    return fields.Raw(
        required=True, metadata={"type": "string", "format": "binary", "description": description}
    )


class ErrorDetail(Schema):
    code = fields.String(
        required=True,
        validate=validators.OneOf(error_codes()),
        metadata={"description": "stable and machine-readable"},
    )
    message = fields.String(required=True, metadata={"description": "for a person"})


class Error(Schema):
    """Every error the API answers, whatever its status."""

    error = fields.Nested(
        ErrorDetail,
        required=True,
        metadata={"example": {"code": "not_found", "message": "No song with id x."}},
    )


class Song(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    artist = fields.String(required=True)
    source = fields.String(required=True, allow_none=True, validate=validators.OneOf(SOURCES))
    url = fields.String(required=True, allow_none=True)
    video_id = fields.String(required=True, allow_none=True)
    filename = fields.String(required=True, allow_none=True)
    duration = fields.Float(required=True, allow_none=True, metadata={"description": "seconds"})
    tags = fields.List(fields.String(), required=True)
    notes = fields.String(required=True)
    model_version = fields.String(
        required=True, allow_none=True, metadata={"description": "the model that embedded it"}
    )
    created_at = fields.String(required=True, allow_none=True)
    updated_at = fields.String(required=True, allow_none=True)
    audio_url = fields.String(required=True)


class NotAnalysable(Schema):
    song_id = fields.String(required=True)
    title = fields.String(required=True)
    reason = fields.String(required=True)


class ClipHit(Schema):
    """One library song of a clip query's ranking, as its job keeps it."""

    song_id = fields.String(required=True)
    source = fields.String(required=True, validate=validators.OneOf(["graph", "first_stage"]))
    distance = fields.Float(required=True, metadata={"description": "embedding distance"})
    diffused = fields.Float(required=True, allow_none=True)
    fused = fields.Float(required=True, allow_none=True)
    components = fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        required=True,
        allow_none=True,
        metadata={"description": "raw component values; null where one could not be computed"},
    )


class JobResult(Schema):
    analysed = fields.Integer(metadata={"description": "songs the backfill analysed"})
    not_analysable = fields.List(
        fields.Nested(NotAnalysable),
        metadata={"description": "songs it could not analyse (no stored audio ...)"},
    )
    linked = fields.Integer(metadata={"description": "songs a graph rebuild linked"})
    scored = fields.Integer(metadata={"description": "pairs a graph rebuild scored"})
    ranking = fields.List(
        fields.Nested(ClipHit),
        metadata={"description": "a clip query's ranking (also at /api/rank/clips/<job id>)"},
    )


class Job(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True, validate=validators.OneOf(JOB_KINDS))
    status = fields.String(required=True, validate=validators.OneOf(JOB_STATUSES))
    stage = fields.String(required=True, validate=validators.OneOf(JOB_STAGES))
    progress = fields.Integer(required=True, metadata={"description": "percent, 0-100"})
    song_id = fields.String(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    source = fields.String(required=True, allow_none=True)
    note = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "what a playlist job queued, or why a job was re-run"},
    )
    attempts = fields.Integer(required=True)
    created_at = fields.String(required=True, allow_none=True)
    updated_at = fields.String(required=True, allow_none=True)
    result = fields.Nested(JobResult, required=True, allow_none=True)


class AddSong(Schema):
    url = fields.String(required=True, validate=validators.Length(min=1, max=2048))
    title = fields.String(validate=validators.Length(max=MAX_TITLE))
    artist = fields.String(validate=validators.Length(max=MAX_TITLE))


class UploadForm(Schema):
    """``POST /api/songs/upload`` (multipart/form-data)."""

    file = binary("the audio file")
    title = fields.String(validate=validators.Length(max=MAX_TITLE))
    artist = fields.String(validate=validators.Length(max=MAX_TITLE))


class ClipForm(Schema):
    """``POST /api/rank`` (multipart/form-data)."""

    file = binary("the audio clip")


class ExistingSong(Schema):
    """An add of a video or file already in the library: that song, nothing queued."""

    song = fields.Nested(Song, required=True)
    existing = fields.Boolean(required=True, validate=validators.Equal(True))


class BulkIn(Schema):
    """URLs, a playlist, or both (at least one)."""

    OPENAPI_EXTRA: ClassVar[dict[str, Any]] = {"minProperties": 1}
    """What marshmallow fields cannot say: ``contract.finish_spec`` adds it to the component."""

    urls = fields.List(
        fields.String(validate=validators.Length(min=1, max=2048)),
        validate=validators.Length(min=1, max=500),
    )
    playlist = fields.String(validate=validators.Length(min=1, max=2048))

    @validates_schema
    def one_given(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Send urls, a playlist, or both.")


class BulkCsv(Schema):
    """``POST /api/songs/bulk`` with a CSV file: one URL per row (its first column)."""

    file = binary("CSV, UTF-8")


class BulkError(Schema):
    url = fields.String(required=True)
    error = fields.String(required=True, metadata={"description": "why this URL was not added"})
    code = fields.String(
        required=True,
        validate=validators.OneOf(error_codes()),
        metadata={"description": "the error code, as in error bodies"},
    )


class BulkOut(Schema):
    jobs = fields.List(fields.Nested(Job), required=True)
    existing = fields.List(fields.Nested(Song), required=True)
    errors = fields.List(fields.Nested(BulkError), required=True)


class ListQuery(Schema):
    q = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validators.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validators.Range(min=1, max=100))
    sort = fields.String(load_default="created_at", validate=validators.OneOf(SORTABLE))
    order = fields.String(load_default="desc", validate=validators.OneOf(["asc", "desc"]))


class SongPage(Schema):
    items = fields.List(fields.Nested(Song), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class SongPatch(Schema):
    title = fields.String(validate=validators.Length(max=MAX_TITLE))
    artist = fields.String(validate=validators.Length(max=MAX_TITLE))
    tags = fields.List(
        fields.String(validate=validators.Length(max=64)), validate=validators.Length(max=50)
    )
    notes = fields.String(validate=validators.Length(max=5000))


class DeleteMany(Schema):
    ids = fields.List(fields.String(), required=True, validate=validators.Length(max=1000))


class Deleted(Schema):
    deleted = fields.Integer(required=True)


class JobsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validators.Range(min=1, max=200))


class JobList(Schema):
    items = fields.List(fields.Nested(Job), required=True)


class JobOut(Schema):
    job = fields.Nested(Job, required=True)


class CheckQuery(Schema):
    a = fields.String(required=True)
    b = fields.String(required=True)


class Match(Schema):
    a_start = fields.Float(required=True)
    a_end = fields.Float(required=True)
    b_start = fields.Float(required=True)
    b_end = fields.Float(required=True)
    score = fields.Float(required=True)


class Component(Schema):
    raw = fields.Float(
        required=True, metadata={"description": "the raw evidence value (larger = more alike)"}
    )
    z = fields.Float(
        required=True,
        metadata={"description": "standard deviations above typical pairs of different songs"},
    )
    weight = fields.Float(
        required=True,
        metadata={"description": "its weight in the fused score; 0 = shown, not fused"},
    )


def components_field(*, required: bool = True) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Nested(Component),
        required=required,
        metadata={"description": "each piece of evidence by name (qmax, early, embedding ...)"},
    )


class PairCheck(Schema):
    a = fields.Nested(Song, required=True)
    b = fields.Nested(Song, required=True)
    is_cover = fields.Boolean(required=True)
    probability = fields.Float(required=True)
    distance = fields.Float(
        required=True, metadata={"description": "minus the fused score: smaller = more alike"}
    )
    threshold = fields.Float(
        required=True,
        metadata={"description": "minus the fused threshold: a cover when distance <= threshold"},
    )
    key_shift = fields.Integer(required=True)
    segment_agreement = fields.Float(required=True)
    alignment_distance = fields.Float(required=True, allow_none=True)
    matches = fields.List(fields.Nested(Match), required=True)
    components = components_field()
    similarity_image = fields.String(required=True)
    report_url = fields.String(
        required=True, metadata={"description": "the printable HTML evidence report"}
    )
    model_version = fields.String(required=True, metadata={"description": "the embedding model"})
    scorer_version = fields.String(
        required=True, metadata={"description": "the fused scorer's config"}
    )


def rerank_field() -> fields.Integer:
    return fields.Integer(
        load_default=0,
        validate=validators.Range(min=0, max=50),
        metadata={
            "description": f"re-rank the top K by the fused scorer (K above {MAX_RERANK} is cut"
            f" to {MAX_RERANK})"
        },
    )


class RankQuery(Schema):
    song = fields.String(required=True)
    rerank = rerank_field()
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class RankUploadQuery(Schema):
    rerank = rerank_field()
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class RankEntry(Schema):
    """A ranked song; ``alignment_distance``, ``key_shift``, ``fused`` and ``components`` only
    in the re-ranked head."""

    song = fields.Nested(Song, required=True)
    distance = fields.Float(required=True)
    similarity = fields.Float(required=True)
    is_cover = fields.Boolean(required=True)
    probability = fields.Float(required=True)
    alignment_distance = fields.Float(
        allow_none=True, metadata={"description": "re-ranked songs only"}
    )
    key_shift = fields.Integer(metadata={"description": "re-ranked songs only"})
    fused = fields.Float(
        metadata={"description": "re-ranked songs only: the fused score (larger = more alike)"}
    )
    components = components_field(required=False)


RANKED_AGAINST = (
    {
        "type": "object",
        "properties": {"song": ref("Song")},
        "required": ["song"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "upload": {"type": "string", "description": "the clip's file name"},
            "job": {"type": "string", "description": "the clip query's job"},
        },
        "required": ["upload"],
        "additionalProperties": False,
    },
)


class Rank(Schema):
    query = one_of(*RANKED_AGAINST, description="the library song ranked against, or the clip")
    threshold = fields.Float(
        required=True, metadata={"description": "the embedding distance threshold"}
    )
    scorer_threshold = fields.Float(
        required=True,
        metadata={
            "description": "minus the fused threshold (as the check's threshold): a re-ranked"
            " song is a cover when -fused <= scorer_threshold"
        },
    )
    model_version = fields.String(required=True)
    scorer_version = fields.String(required=True)
    results = fields.List(fields.Nested(RankEntry), required=True)


class Threshold(Schema):
    threshold = fields.Float(
        required=True,
        validate=validators.Range(min=-50.0, max=50.0),
        metadata={
            "description": "on the check's scale: minus the fused threshold (a pair is a cover"
            " when its distance, minus its fused score, is at most this)"
        },
    )


class ScorerProbability(Schema):
    slope = fields.Float(required=True)
    midpoint = fields.Float(required=True)
    prior = fields.Float(allow_none=True)


class ThresholdFit(Schema):
    fpr = fields.Float(required=True, metadata={"description": "false-positive rate at it"})
    interval = fields.List(
        fields.Float(),
        required=True,
        validate=validators.Length(equal=2),
        metadata={"description": "confidence interval of the fpr"},
    )
    false_positives = fields.Integer()
    negatives = fields.Integer()
    method = fields.String()
    target_fpr = fields.Float()
    threshold = fields.Float()


class Provenance(Schema):
    """How the scorer's threshold was calibrated (``coverscope calibrate``); a provisional scorer
    (``status: provisional``) was not fitted and leaves the counts null."""

    status = fields.String()
    note = fields.String()
    command = fields.String()
    date = fields.String()
    fitted_on = fields.String(allow_none=True)
    tracks = fields.Integer(allow_none=True)
    packages = fields.Integer(allow_none=True)
    hours = fields.Float(allow_none=True)
    negatives = fields.Integer(allow_none=True)
    positives = fields.Integer(allow_none=True)
    positives_kind = fields.String()
    target_fpr = fields.Float(allow_none=True)
    prior = fields.Float(allow_none=True)
    threshold_fit = fields.Nested(ThresholdFit, allow_none=True)
    analysis_version = fields.String()
    embedding_model = fields.String()
    covers80_used = fields.Boolean()
    auc_on_calibration = fields.Float(allow_none=True)
    auc_components_on_calibration = fields.Dict(keys=fields.String(), values=fields.Float())
    true_positive_rate_on_positives = fields.Float(allow_none=True)


def rows(width: int, description: str) -> fields.List[Any]:
    """A list of fixed-width number rows."""
    return fields.List(
        fields.List(fields.Float(), validate=validators.Length(equal=width)),
        required=True,
        metadata={"description": description},
    )


class Scorer(Schema):
    version = fields.String(required=True)
    components = fields.List(
        fields.String(), required=True, metadata={"description": "the fused components"}
    )
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    stats = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Float(), validate=validators.Length(equal=2)),
        required=True,
        metadata={"description": "each component's [mean, std] over real non-cover pairs"},
    )
    threshold = fields.Float(
        required=True,
        metadata={"description": "in force, on the check's scale (minus the fused threshold)"},
    )
    default_threshold = fields.Float(
        required=True, metadata={"description": "the calibrated one, on the check's scale"}
    )
    fused_threshold = fields.Float(
        required=True,
        metadata={"description": "in force, on the fused scale: a cover when fused >= it"},
    )
    probability = fields.Nested(ScorerProbability, required=True)
    provenance = fields.Nested(Provenance, required=True)
    curve = rows(
        3,
        "calibration rows [threshold, fpr, tpr], threshold on the fused scale (cover when"
        " fused >= it); empty when the config has none",
    )


class Calibration(Schema):
    """The embedding's calibration: a cover when the distance is at most ``threshold``; the
    probability is a logistic curve of the distance."""

    threshold = fields.Float(required=True)
    slope = fields.Float(required=True)
    midpoint = fields.Float(required=True)


class NetworkConfig(Schema):
    channels = fields.List(fields.Integer(), required=True)
    kernels = fields.List(
        fields.List(fields.Integer(), validate=validators.Length(equal=2)), required=True
    )
    pool_after = fields.List(fields.Integer(), required=True)
    embedding_dim = fields.Integer(required=True)
    dropout = fields.Float(required=True)
    circular_bins = fields.Boolean(required=True)


class Curves(Schema):
    """The evaluation's curves; empty when no evaluation left any."""

    roc = fields.List(
        fields.List(fields.Float(), validate=validators.Length(equal=3)),
        metadata={"description": "[fpr, tpr, threshold] rows"},
    )
    pr = fields.List(
        fields.List(fields.Float(), validate=validators.Length(equal=3)),
        metadata={"description": "[recall, precision, threshold] rows"},
    )
    thresholds = fields.List(fields.Float())


class Model(Schema):
    version = fields.String(required=True)
    threshold = fields.Float(required=True)
    calibration = fields.Nested(Calibration, required=True)
    config = fields.Nested(NetworkConfig, required=True)
    training = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "the checkpoint's training summary, as its trainer wrote it"},
    )
    benchmarks = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String()),
        required=True,
        metadata={
            "description": "each evaluation run by name: its metrics (MAP, MR1 ...) as written"
            " by `coverscope evaluate`"
        },
    )
    curves = fields.Nested(Curves, required=True)
    stale_songs = fields.Integer(required=True)
    scorer = fields.Nested(Scorer, required=True)
    songs_without_analysis = fields.Integer(required=True)


class MapPoint(Schema):
    song = fields.Nested(Song, required=True)
    x = fields.Float(required=True)
    y = fields.Float(required=True)
    group = fields.Integer(required=True)


class Map(Schema):
    points = fields.List(fields.Nested(MapPoint), required=True)
    threshold = fields.Float(required=True)


class Health(Schema):
    status = fields.String(required=True, validate=validators.OneOf(["ok", "degraded"]))
    db = fields.String(required=True, metadata={"description": "ok, or why not"})
    store = fields.String(required=True, metadata={"description": "ok, or why not"})
    queue = fields.String(
        required=True, metadata={"description": "the job queue (SQLite or Redis): ok, or why not"}
    )
    worker = fields.String(
        required=True,
        metadata={"description": "a worker's heartbeat; informational, never makes a 503"},
    )
    model_version = fields.String(required=True, allow_none=True)


class JobCounts(Schema):
    queued = fields.Integer(required=True)
    running = fields.Integer(required=True)
    done = fields.Integer(required=True)
    failed = fields.Integer(required=True)


class IndexInfo(Schema):
    """This API process's search index."""

    songs = fields.Integer(required=True)
    library_version = fields.Integer(required=True)
    graph_version = fields.Integer(
        required=True, metadata={"description": "the neighbour graph's change counter it holds"}
    )


class Stats(Schema):
    songs = fields.Integer(required=True)
    jobs = fields.Nested(JobCounts, required=True)
    model_version = fields.String(required=True)
    index = fields.Nested(IndexInfo, required=True)


# --- The library graph (issue 11): graph ranking, clip queries as jobs, versions, map --------
# Kept apart from the schemas above; each extends one of them where the answer grew.


class GraphRankEntry(RankEntry):
    source = fields.String(
        required=True,
        validate=validators.OneOf(["graph", "first_stage", "rerank"]),
        metadata={
            "description": "graph: a scored neighbour, placed by diffusion, its verdict from the"
            " pair's fused score | first_stage: the embedding order beyond the neighbours, its"
            " verdict from the embedding | rerank: the head re-scored on request (rerank=K)"
        },
    )
    diffused = fields.Float(
        allow_none=True,
        metadata={
            "description": "graph results: the diffused score that placed it (larger = closer)"
        },
    )


class GraphRank(Rank):
    results = fields.List(fields.Nested(GraphRankEntry), required=True)


class GraphRankQuery(Schema):
    song = fields.String(required=True)
    rerank = rerank_field()
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class ClipRankQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class ClipRankResultQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class SongVersion(Schema):
    song = fields.Nested(Song, required=True)
    fused = fields.Float(
        required=True, metadata={"description": "the pair's fused score (larger = more alike)"}
    )
    probability = fields.Float(required=True)
    components = components_field()


class SongVersions(Schema):
    song = fields.Nested(Song, required=True)
    versions = fields.List(
        fields.Nested(SongVersion),
        required=True,
        metadata={
            "description": "confirmed edges: neighbours whose fused score passes the"
            " threshold in force, strongest first"
        },
    )
    fused_threshold = fields.Float(
        required=True, metadata={"description": "a version when fused >= it"}
    )
    group = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": "ids of the song's cover group (every pair confirmed); empty"
            " when it is in none"
        },
    )


class ListedSong(Song):
    versions = fields.Integer(
        required=True, metadata={"description": "confirmed versions in the library"}
    )
    group = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "its cover group's number, as on the map"},
    )


class ListedSongPage(SongPage):
    items = fields.List(fields.Nested(ListedSong), required=True)


class MapQuery(Schema):
    limit = fields.Integer(
        load_default=MAP_MAX_POINTS,
        validate=validators.Range(min=1, max=MAP_MAX_POINTS),
        metadata={"description": f"songs on the map (at most {MAP_MAX_POINTS}; more is refused)"},
    )


class GraphMap(Map):
    fused_threshold = fields.Float(
        required=True,
        metadata={"description": "groups join songs whose every pair has fused >= it"},
    )
    groups = fields.Integer(
        required=True, metadata={"description": "cover groups of two songs or more"}
    )
