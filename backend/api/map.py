"""A 2-D map of the library: PCA of the embeddings, cover groups from confirmed edges of the
neighbour graph; computed once per library version (``backend.search.library_map``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from apiflask import APIBlueprint

from backend.api import schemas
from backend.api.components import components
from backend.api.serialize import song_out

bp = APIBlueprint("map", __name__, url_prefix="/api/map", tag="Map")


@bp.get("")
@bp.input(schemas.MapQuery, location="query", arg_name="query")
@bp.output(schemas.GraphMap)
@bp.doc(responses={400: "limit out of range"})
def library_map(query: dict[str, Any]) -> dict[str, Any]:
    s = components()
    fused_threshold = s.scorer_config().threshold
    found = s.maps.points(
        s.index.snapshot(), s.graph, threshold=fused_threshold, limit=query["limit"]
    )
    points = [
        {"song": song_out(doc), "x": round(float(x), 5), "y": round(float(y), 5), "group": g}
        for doc, (x, y), g in zip(found.songs, found.xy, found.groups, strict=True)
    ]
    return {
        "points": points,
        "threshold": s.calibration().threshold,
        "fused_threshold": fused_threshold,
        "groups": sum(1 for n in Counter(g for g in found.groups if g >= 0).values() if n > 1),
    }
