"""The library sorted by similarity to a song of the library or to an uploaded clip."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from apiflask import APIBlueprint
from flask import Response, jsonify, request

from backend.api import schemas
from backend.api.components import components
from backend.api.serialize import song_out
from backend.search import ranking
from backend.search.ranking import Ranked
from model.errors import InvalidInput, TooLarge
from model.pipeline import analyse_file

bp = APIBlueprint("rank", __name__, url_prefix="/api/rank", tag="Rank")


def _answer(query: dict[str, Any], results: list[Ranked], threshold: float) -> Response:
    """The Rank object, serialised directly: it is the hot path and already in schema shape."""
    return jsonify(
        query=query,
        threshold=threshold,
        results=[{**entry, "song": song_out(entry["song"])} for entry in results],
        model_version=components().embedder.version,
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
    chroma = s.chroma.get(song["hpcp_key"]) if query["rerank"] else None
    results, calibration = ranking.rank(
        vector,
        index=s.index,
        cache=s.chroma,
        limit=query["limit"],
        exclude=str(song["_id"]),
        chroma=chroma,
        rerank=query["rerank"],
    )
    return _answer({"song": song_out(song)}, results, calibration.threshold)


@bp.post("")
@bp.input(schemas.RankUploadQuery, location="query", arg_name="query")
@bp.output(schemas.Rank)
@bp.doc(summary="Rank the library against an uploaded clip (multipart field 'file')")
def rank_clip(query: dict[str, Any]) -> Response:
    s = components()
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("Send the clip as a multipart form field named 'file'.")
    data = upload.stream.read(s.settings.max_upload_bytes + 1)
    if len(data) > s.settings.max_upload_bytes:
        raise TooLarge(f"The clip is over the {s.settings.max_upload_bytes}-byte limit.")
    name = upload.filename or "clip"
    with tempfile.TemporaryDirectory(prefix="coverscope-clip-") as tmp:
        path = Path(tmp) / f"clip{Path(name).suffix.lower()[:8]}"
        path.write_bytes(data)
        analysis = analyse_file(path, s.embedder, max_seconds=s.settings.max_duration_s)
    results, calibration = ranking.rank(
        analysis.embedding,
        index=s.index,
        cache=s.chroma,
        limit=query["limit"],
        chroma=analysis.chroma,
        rerank=query["rerank"],
    )
    return _answer({"upload": name}, results, calibration.threshold)
