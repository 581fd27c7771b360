"""A 2-D map of the library: PCA of the embeddings, cover groups as connected components."""

from __future__ import annotations

from typing import Any

import numpy as np
from apiflask import APIBlueprint, fields
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from backend.api import schemas
from backend.api.components import components
from backend.api.serialize import song_out

bp = APIBlueprint("map", __name__, url_prefix="/api/map", tag="Map")

MAX_POINTS = 5000


def project(matrix: np.ndarray) -> np.ndarray:
    """(n, dim) -> (n, 2) by PCA; fewer than 3 songs are laid out on a line."""
    n = matrix.shape[0]
    if n < 3:
        return np.column_stack([np.arange(n, dtype=np.float64), np.zeros(n)])
    from sklearn.decomposition import PCA

    xy: np.ndarray = PCA(n_components=2, random_state=0).fit_transform(matrix)
    return xy


def cover_groups(matrix: np.ndarray, threshold: float) -> np.ndarray:
    """Label each song with its connected component under ``distance <= threshold``."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    d2 = np.clip(2.0 - 2.0 * (matrix @ matrix.T), 0.0, None)
    rows, cols = np.nonzero(np.triu(d2 <= threshold**2, k=1))
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    labels: np.ndarray = connected_components(graph, directed=False)[1]
    return labels


@bp.get("")
@bp.input({"limit": fields.Integer(load_default=MAX_POINTS)}, location="query", arg_name="query")
@bp.output(schemas.Map)
def library_map(query: dict[str, Any]) -> dict[str, Any]:
    s = components()
    snap = s.index.snapshot()
    limit = max(1, min(int(query["limit"]), MAX_POINTS))
    matrix, songs = snap.matrix[:limit], snap.songs[:limit]
    threshold = s.calibration().threshold
    xy = project(matrix) if len(songs) else np.zeros((0, 2))
    groups = cover_groups(matrix, threshold)
    points = [
        {"song": song_out(doc), "x": round(float(x), 5), "y": round(float(y), 5), "group": int(g)}
        for doc, (x, y), g in zip(songs, xy, groups, strict=True)
    ]
    return {"points": points, "threshold": threshold}
