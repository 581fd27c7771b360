"""The library sorted by similarity to a song of the library or to an uploaded clip.

A library song is ranked through the neighbour graph (``backend.search.graph_rank``); a clip
query runs as a job (``backend.search.clip_query``) whose ranking is read back from
``/api/rank/clips/<job_id>``. ``rerank=K`` keeps the older path: the embedding order with its
head re-scored by the fused scorer on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apiflask import APIBlueprint
from flask import Response, jsonify, request

from backend.api import schemas
from backend.api.components import components
from backend.api.contract import documents
from backend.api.serialize import job_out, song_out
from backend.search import ranking
from backend.search.clip_query import clip_ranking, ranked_hits
from backend.search.graph_rank import rank_library_song
from backend.search.ranking import Ranked
from backend.search.song_features import song_analysis
from model.errors import InvalidInput

bp = APIBlueprint("rank", __name__, url_prefix="/api/rank", tag="Rank")


def _answer(query: dict[str, Any], results: Sequence[Ranked], threshold: float) -> Response:
    """The Rank object, serialised directly: it is the hot path and already in schema shape."""
    s = components()
    scorer = s.scorer_config()
    return jsonify(
        query=query,
        threshold=threshold,
        scorer_threshold=-scorer.threshold,
        results=[{**entry, "song": song_out(entry["song"])} for entry in results],
        model_version=s.embedder.version,
        scorer_version=scorer.version,
    )


@bp.get("")
@bp.input(schemas.GraphRankQuery, location="query", arg_name="query")
@bp.output(schemas.GraphRank)
@bp.doc(
    responses={
        404: "Unknown song id",
        409: "The song awaits re-embedding (or, with `rerank`, a song's analysis is pending)",
        429: "With `rerank`: the pair-check pool is full; try again after Retry-After seconds",
    }
)
def rank_song(query: dict[str, Any]) -> Response:
    s = components()
    song, vector = ranking.query_song(
        query["song"], index=s.index, songs=s.songs, model_version=s.embedder.version
    )
    if query["rerank"]:
        return _reranked(song, vector, limit=query["limit"], count=query["rerank"])
    results, calibration = rank_library_song(
        str(song["_id"]),
        vector,
        index=s.index,
        graph=s.graph,
        config=s.scorer_config(),
        limit=query["limit"],
    )
    return _answer({"song": song_out(song)}, results, calibration.threshold)


def _reranked(song: Any, vector: Any, *, limit: int, count: int) -> Response:
    """The embedding order with its first ``count`` songs re-scored by the fused scorer."""
    s = components()
    results, calibration = ranking.rank(
        vector, index=s.index, limit=max(limit, count), exclude=str(song["_id"])
    )
    analysis = song_analysis(
        song, cache=s.analyses, songs=s.songs, model_version=s.embedder.version
    )
    results = ranking.rerank(
        results,
        analysis,
        count=count,
        config=s.scorer_config(),
        cache=s.analyses,
        songs=s.songs,
        model_version=s.embedder.version,
        pool=s.checker.pool,
    )
    head = min(count, ranking.MAX_RERANK)
    tagged = [
        {**entry, "source": "rerank" if i < head else "first_stage"}
        for i, entry in enumerate(results[:limit])
    ]
    return _answer({"song": song_out(song)}, tagged, calibration.threshold)  # type: ignore[arg-type]


@bp.post("")
@documents(body={"multipart/form-data": schemas.ClipForm})
@bp.input(schemas.ClipRankQuery, location="query", arg_name="query")
@bp.output(schemas.JobOut, status_code=202)
@bp.doc(
    summary="Rank the library against an uploaded clip (multipart field 'file'), as a job",
    description="Answers the job; poll `/api/jobs/<id>` and read the ranking from "
    "`/api/rank/clips/<id>` once it is done.",
    responses={413: "Clip over the size cap", 422: "Not decodable audio"},
)
def rank_clip(query: dict[str, Any]) -> tuple[dict[str, Any], int]:
    s = components()
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("Send the clip as a multipart form field named 'file'.")
    data = upload.stream.read(s.settings.max_upload_bytes + 1)
    job = s.intake.rank_clip(data, upload.filename or "clip", limit=query["limit"])
    return {"job": job_out(job)}, 202


@bp.get("/clips/<job_id>")
@bp.input(schemas.ClipRankResultQuery, location="query", arg_name="query")
@bp.output(schemas.GraphRank)
@bp.doc(responses={404: "Unknown job, or not a clip query", 409: "Still running, or failed"})
def clip_result(job_id: str, query: dict[str, Any]) -> Response:
    s = components()
    job = s.jobs.get(job_id)
    hits = clip_ranking(job)
    snap = s.index.snapshot()
    results = ranked_hits(hits, snap=snap, config=s.scorer_config(), limit=query["limit"])
    name = job["payload"].get("filename") or "clip"
    return _answer({"upload": name, "job": job_id}, results, snap.calibration.threshold)
