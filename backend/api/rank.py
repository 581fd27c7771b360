"""The library sorted by similarity to a song of the library or to an uploaded clip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apiflask import APIBlueprint
from flask import Response, jsonify, request

from backend.api import schemas
from backend.api.components import components
from backend.api.contract import documents
from backend.api.serialize import song_out
from backend.ingest.scratch import scratch_folder
from backend.ingest.uploads import upload_name, upload_suffix
from backend.search import ranking
from backend.search.ranking import Ranked
from backend.search.song_features import song_analysis
from model.analysis import SongAnalysis, analyse_with_hpcp
from model.audio import decode
from model.errors import InvalidInput, TooLarge
from model.pipeline import analyse_signal

bp = APIBlueprint("rank", __name__, url_prefix="/api/rank", tag="Rank")


def _answer(query: dict[str, Any], results: list[Ranked], threshold: float) -> Response:
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
@bp.input(schemas.RankQuery, location="query", arg_name="query")
@bp.output(schemas.Rank)
@bp.doc(responses={404: "Unknown song id", 409: "The song awaits re-embedding"})
def rank_song(query: dict[str, Any]) -> Response:
    s = components()
    song, vector = ranking.query_song(
        query["song"], index=s.index, songs=s.songs, model_version=s.embedder.version
    )
    results, calibration = ranking.rank(
        vector,
        index=s.index,
        limit=max(query["limit"], query["rerank"]),
        exclude=str(song["_id"]),
    )
    if query["rerank"]:
        analysis = song_analysis(
            song, cache=s.analyses, songs=s.songs, model_version=s.embedder.version
        )
        results = _rerank(results, analysis, count=query["rerank"])
    return _answer({"song": song_out(song)}, results[: query["limit"]], calibration.threshold)


def _rerank(results: list[Ranked], analysis: SongAnalysis, *, count: int) -> list[Ranked]:
    s = components()
    return ranking.rerank(
        results,
        analysis,
        count=count,
        config=s.scorer_config(),
        cache=s.analyses,
        songs=s.songs,
        model_version=s.embedder.version,
    )


@bp.post("")
@documents(body={"multipart/form-data": schemas.ClipForm})
@bp.input(schemas.RankUploadQuery, location="query", arg_name="query")
@bp.output(schemas.Rank)
@bp.doc(
    summary="Rank the library against an uploaded clip (multipart field 'file')",
    responses={422: "Not decodable audio"},
)
def rank_clip(query: dict[str, Any]) -> Response:
    s = components()
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("Send the clip as a multipart form field named 'file'.")
    data = upload.stream.read(s.settings.max_upload_bytes + 1)
    if len(data) > s.settings.max_upload_bytes:
        raise TooLarge(f"The clip is over the {s.settings.max_upload_bytes}-byte limit.")
    name = upload_name(upload.filename, default="clip")
    with scratch_folder(s.settings, prefix="coverscope-clip-") as tmp:
        path = Path(tmp) / f"clip{upload_suffix(name)}"
        path.write_bytes(data)
        y = decode(path, max_seconds=s.settings.max_duration_s)
    analysis = analyse_signal(y, s.embedder)
    results, calibration = ranking.rank(
        analysis.embedding, index=s.index, limit=max(query["limit"], query["rerank"])
    )
    if query["rerank"]:
        scored = analyse_with_hpcp(
            y,
            analysis.chroma,
            embedding=analysis.embedding,
            embedding_version=s.embedder.version,
        )
        results = _rerank(results, scored, count=query["rerank"])
    return _answer({"upload": name}, results[: query["limit"]], calibration.threshold)
