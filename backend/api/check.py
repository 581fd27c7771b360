"""Is B a cover of A? Verdict, calibrated probability and the alignment that explains it."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response

from backend.api import schemas
from backend.api.components import components
from backend.api.serialize import song_out
from backend.search import pair_check
from backend.search.explain import similarity_png

bp = APIBlueprint("check", __name__, url_prefix="/api/check", tag="Check")


@bp.get("")
@bp.input(schemas.CheckQuery, location="query", arg_name="query")
@bp.output(schemas.PairCheck)
@bp.doc(responses={404: "Unknown song id", 409: "A song awaits re-embedding"})
def check(query: dict[str, Any]) -> dict[str, Any]:
    c = components()
    a, b, result = pair_check.check(
        query["a"],
        query["b"],
        songs=c.songs,
        embedder=c.embedder,
        calibration=c.calibration(),
        cache=c.chroma,
    )
    out = result.to_dict()
    out.update(
        a=song_out(a),
        b=song_out(b),
        similarity_image=f"/api/check/{a['_id']}/{b['_id']}/similarity.png",
    )
    return out


@bp.get("/<a>/<b>/similarity.png")
@bp.doc(summary="PNG of the cross-similarity matrix with the matched passages outlined")
def similarity_image(a: str, b: str) -> Response:
    c = components()
    result = pair_check.alignment(a, b, songs=c.songs, cache=c.chroma)
    png = similarity_png(
        result,
        title_a=c.songs.get(a).get("title") or "A",
        title_b=c.songs.get(b).get("title") or "B",
    )
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "max-age=3600"
    return response
