"""Is B a cover of A? The fused scorer's verdict, its evidence, its picture and a printable report."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from apiflask import APIBlueprint
from flask import Response

from backend.api import schemas
from backend.api.components import Components, components
from backend.api.contract import documents
from backend.api.serialize import song_out
from backend.search.report import evidence_report
from backend.storage.documents import Song
from model.check import PairCheck

bp = APIBlueprint("check", __name__, url_prefix="/api/check", tag="Check")

PENDING = {
    404: "Unknown song id",
    409: "A song awaits re-embedding, or its analysis is being backfilled (analysis_pending)",
    429: "Too many checks are running or waiting (overloaded): try again after the "
    "Retry-After header's seconds. Checks already made answer from the cache.",
}


def _check(c: Components, a: str, b: str) -> tuple[Song, Song, PairCheck]:
    return c.checker.check(a, b, config=c.scorer_config(), model_version=c.embedder.version)


def _picture(c: Components, a: str, b: str) -> tuple[Song, Song, PairCheck, bytes]:
    return c.checker.picture(a, b, config=c.scorer_config(), model_version=c.embedder.version)


@bp.get("")
@bp.input(schemas.CheckQuery, location="query", arg_name="query")
@bp.output(schemas.PairCheck)
@bp.doc(responses=PENDING)
def check(query: dict[str, Any]) -> dict[str, Any]:
    c = components()
    a, b, result = _check(c, query["a"], query["b"])
    pair = urlencode({"a": str(a["_id"]), "b": str(b["_id"])})
    return {
        **result.to_dict(),
        "a": song_out(a),
        "b": song_out(b),
        "model_version": c.embedder.version,
        "scorer_version": result.model_version,
        "similarity_image": f"/api/check/{a['_id']}/{b['_id']}/similarity.png",
        "report_url": f"/api/check/report?{pair}",
    }


@bp.get("/<a>/<b>/similarity.png")
@documents(files={200: (("image/png",), "The picture")})
@bp.doc(
    summary="PNG of the cross-similarity matrix with the matched passages outlined",
    responses=PENDING,
)
def similarity_image(a: str, b: str) -> Response:
    _, _, _, png = _picture(components(), a, b)
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "max-age=3600"
    return response


@bp.get("/report")
@documents(files={200: (("text/html",), "The report")})
@bp.input(schemas.CheckQuery, location="query", arg_name="query")
@bp.doc(
    summary="A printable, self-contained HTML evidence report of a check",
    responses=PENDING,
)
def report(query: dict[str, Any]) -> Response:
    c = components()
    a, b, result, png = _picture(c, query["a"], query["b"])
    page = evidence_report(a, b, result, image_png=png, model_version=c.embedder.version)
    return Response(page, mimetype="text/html")
