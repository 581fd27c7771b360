"""Request and response schemas, declared once: they validate input and publish the OpenAPI spec."""

from __future__ import annotations

from apiflask import Schema, fields, validators

from backend.search.library_map import MAX_POINTS as MAP_MAX_POINTS
from backend.search.ranking import MAX_RERANK
from backend.storage.song_repository import SORTABLE


class Error(Schema):
    error = fields.Dict(
        metadata={"example": {"code": "not_found", "message": "No song with id x."}}
    )


class Song(Schema):
    id = fields.String()
    title = fields.String()
    artist = fields.String()
    source = fields.String(metadata={"description": "youtube | upload | web"})
    url = fields.String(allow_none=True)
    video_id = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    duration = fields.Float(allow_none=True)
    tags = fields.List(fields.String())
    notes = fields.String()
    model_version = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    audio_url = fields.String()


class NotAnalysable(Schema):
    song_id = fields.String()
    title = fields.String()
    reason = fields.String()


class JobResult(Schema):
    analysed = fields.Integer(metadata={"description": "songs the backfill analysed"})
    not_analysable = fields.List(
        fields.Nested(NotAnalysable),
        metadata={"description": "songs it could not analyse (no stored audio ...)"},
    )


class Job(Schema):
    id = fields.String()
    kind = fields.String(
        metadata={
            "description": "ingest_url | ingest_upload | reembed | expand_playlist"
            " | backfill_analyses"
        }
    )
    status = fields.String(metadata={"description": "queued | running | done | failed"})
    stage = fields.String(
        metadata={
            "description": "queued | downloading | extracting | embedding | analysing"
            " | listing | queueing | done | failed"
        }
    )
    progress = fields.Integer()
    song_id = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    note = fields.String(
        allow_none=True,
        metadata={"description": "what a playlist job queued, or why a job was re-run"},
    )
    attempts = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    result = fields.Nested(JobResult, allow_none=True)


class AddSong(Schema):
    url = fields.String(required=True, validate=validators.Length(min=1, max=2048))
    title = fields.String(validate=validators.Length(max=300))
    artist = fields.String(validate=validators.Length(max=300))


class AddSongOut(Schema):
    job = fields.Nested(Job)
    song = fields.Nested(Song)
    existing = fields.Boolean()


class BulkIn(Schema):
    urls = fields.List(fields.String(), validate=validators.Length(max=500))
    playlist = fields.String()


class BulkError(Schema):
    url = fields.String()
    error = fields.String(metadata={"description": "why this URL was not added"})
    code = fields.String(metadata={"description": "the error code, as in error bodies"})


class BulkOut(Schema):
    jobs = fields.List(fields.Nested(Job))
    existing = fields.List(fields.Nested(Song))
    errors = fields.List(fields.Nested(BulkError))


class ListQuery(Schema):
    q = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validators.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validators.Range(min=1, max=100))
    sort = fields.String(load_default="created_at", validate=validators.OneOf(SORTABLE))
    order = fields.String(load_default="desc", validate=validators.OneOf(["asc", "desc"]))


class SongPage(Schema):
    items = fields.List(fields.Nested(Song))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class SongPatch(Schema):
    title = fields.String(validate=validators.Length(max=300))
    artist = fields.String(validate=validators.Length(max=300))
    tags = fields.List(
        fields.String(validate=validators.Length(max=64)), validate=validators.Length(max=50)
    )
    notes = fields.String(validate=validators.Length(max=5000))


class DeleteMany(Schema):
    ids = fields.List(fields.String(), required=True, validate=validators.Length(max=1000))


class Deleted(Schema):
    deleted = fields.Integer()


class JobsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validators.Range(min=1, max=200))


class JobList(Schema):
    items = fields.List(fields.Nested(Job))


class JobOut(Schema):
    job = fields.Nested(Job)


class CheckQuery(Schema):
    a = fields.String(required=True)
    b = fields.String(required=True)


class Match(Schema):
    a_start = fields.Float()
    a_end = fields.Float()
    b_start = fields.Float()
    b_end = fields.Float()
    score = fields.Float()


class Component(Schema):
    raw = fields.Float(metadata={"description": "the raw evidence value (larger = more alike)"})
    z = fields.Float(
        metadata={"description": "standard deviations above typical pairs of different songs"}
    )
    weight = fields.Float(
        metadata={"description": "its weight in the fused score; 0 = shown, not fused"}
    )


def components_field() -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Nested(Component),
        metadata={"description": "each piece of evidence by name (qmax, early, embedding ...)"},
    )


class PairCheck(Schema):
    a = fields.Nested(Song)
    b = fields.Nested(Song)
    is_cover = fields.Boolean()
    probability = fields.Float()
    distance = fields.Float(metadata={"description": "minus the fused score: smaller = more alike"})
    threshold = fields.Float(
        metadata={"description": "minus the fused threshold: a cover when distance <= threshold"}
    )
    key_shift = fields.Integer()
    segment_agreement = fields.Float()
    alignment_distance = fields.Float(allow_none=True)
    matches = fields.List(fields.Nested(Match))
    components = components_field()
    similarity_image = fields.String()
    report_url = fields.String(metadata={"description": "the printable HTML evidence report"})
    model_version = fields.String(metadata={"description": "the embedding model"})
    scorer_version = fields.String(metadata={"description": "the fused scorer's config"})


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
    song = fields.Nested(Song)
    distance = fields.Float()
    similarity = fields.Float()
    is_cover = fields.Boolean()
    probability = fields.Float()
    alignment_distance = fields.Float(allow_none=True)
    key_shift = fields.Integer(allow_none=True)
    fused = fields.Float(
        metadata={"description": "re-ranked songs only: the fused score (larger = more alike)"}
    )
    components = components_field()


class Rank(Schema):
    query = fields.Dict()
    threshold = fields.Float(metadata={"description": "the embedding distance threshold"})
    scorer_threshold = fields.Float(
        metadata={
            "description": "minus the fused threshold (as the check's threshold): a re-ranked"
            " song is a cover when -fused <= scorer_threshold"
        }
    )
    model_version = fields.String()
    scorer_version = fields.String()
    results = fields.List(fields.Nested(RankEntry))


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
    slope = fields.Float()
    midpoint = fields.Float()
    prior = fields.Float(allow_none=True)


class Scorer(Schema):
    version = fields.String()
    components = fields.List(fields.String(), metadata={"description": "the fused components"})
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    stats = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Float()),
        metadata={"description": "each component's [mean, std] over real non-cover pairs"},
    )
    threshold = fields.Float(
        metadata={"description": "in force, on the check's scale (minus the fused threshold)"}
    )
    default_threshold = fields.Float(
        metadata={"description": "the calibrated one, on the check's scale"}
    )
    fused_threshold = fields.Float(
        metadata={"description": "in force, on the fused scale: a cover when fused >= it"}
    )
    probability = fields.Nested(ScorerProbability)
    provenance = fields.Dict(
        keys=fields.String(),
        metadata={"description": "how it was calibrated (status, negatives, target_fpr ...)"},
    )
    curve = fields.List(
        fields.List(fields.Float()),
        metadata={
            "description": "calibration rows [threshold, fpr, tpr], threshold on the fused"
            " scale (cover when fused >= it); empty when the config has none"
        },
    )


class Model(Schema):
    version = fields.String()
    threshold = fields.Float()
    calibration = fields.Dict()
    config = fields.Dict()
    training = fields.Dict()
    benchmarks = fields.Dict()
    curves = fields.Dict()
    stale_songs = fields.Integer()
    scorer = fields.Nested(Scorer)
    songs_without_analysis = fields.Integer()


class MapPoint(Schema):
    song = fields.Nested(Song)
    x = fields.Float()
    y = fields.Float()
    group = fields.Integer()


class Map(Schema):
    points = fields.List(fields.Nested(MapPoint))
    threshold = fields.Float()


class Health(Schema):
    status = fields.String()
    db = fields.String()
    store = fields.String()
    queue = fields.String(metadata={"description": "the job queue (SQLite or Redis)"})
    worker = fields.String(
        metadata={"description": "a worker's heartbeat; informational, never makes a 503"}
    )
    model_version = fields.String(allow_none=True)


class Stats(Schema):
    songs = fields.Integer()
    jobs = fields.Dict()
    model_version = fields.String()
    index = fields.Dict(
        metadata={
            "description": "this API process's search index: songs, library_version,"
            " graph_version (the neighbour graph's change counter it holds)"
        }
    )


# --- The library graph (issue 11): graph ranking, clip queries as jobs, versions, map --------
# Kept apart from the schemas above; each extends one of them where the answer grew.


class GraphRankEntry(RankEntry):
    source = fields.String(
        metadata={
            "description": "graph: a scored neighbour, placed by diffusion, its verdict from the"
            " pair's fused score | first_stage: the embedding order beyond the neighbours, its"
            " verdict from the embedding | rerank: the head re-scored on request (rerank=K)"
        }
    )
    diffused = fields.Float(
        metadata={
            "description": "graph results: the diffused score that placed it (larger = closer)"
        }
    )


class GraphRank(Rank):
    results = fields.List(fields.Nested(GraphRankEntry))


class GraphRankQuery(Schema):
    song = fields.String(required=True)
    rerank = rerank_field()
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class ClipRankQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class ClipRankResultQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(min=1, max=1000))


class SongVersion(Schema):
    song = fields.Nested(Song)
    fused = fields.Float(metadata={"description": "the pair's fused score (larger = more alike)"})
    probability = fields.Float()
    components = components_field()


class SongVersions(Schema):
    song = fields.Nested(Song)
    versions = fields.List(
        fields.Nested(SongVersion),
        metadata={
            "description": "confirmed edges: neighbours whose fused score passes the"
            " threshold in force, strongest first"
        },
    )
    fused_threshold = fields.Float(metadata={"description": "a version when fused >= it"})
    group = fields.List(
        fields.String(),
        metadata={
            "description": "ids of the song's cover group (every pair confirmed); empty"
            " when it is in none"
        },
    )


class ListedSong(Song):
    versions = fields.Integer(metadata={"description": "confirmed versions in the library"})
    group = fields.Integer(
        allow_none=True, metadata={"description": "its cover group's number, as on the map"}
    )


class ListedSongPage(SongPage):
    items = fields.List(fields.Nested(ListedSong))


class MapQuery(Schema):
    limit = fields.Integer(
        load_default=MAP_MAX_POINTS,
        validate=validators.Range(min=1, max=MAP_MAX_POINTS),
        metadata={"description": f"songs on the map (at most {MAP_MAX_POINTS}; more is refused)"},
    )


class GraphMap(Map):
    fused_threshold = fields.Float(
        metadata={"description": "groups join songs whose every pair has fused >= it"}
    )
    groups = fields.Integer(metadata={"description": "cover groups of two songs or more"})
