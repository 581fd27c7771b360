"""The library's map and cover groups, computed once per library version and cached.

Points are a PCA of the embeddings; groups come from confirmed edges of the neighbour graph
(``model.library.cover_groups``: every pair inside a group is itself a confirmed cover, so
groups never chain). Both are cached under the versions of the data they were computed from
(the vector index's snapshot, the graph's change counter) and the threshold in force.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from cachetools import LRUCache

from backend.search.graph_index import GraphIndex
from backend.search.snapshot import Snapshot
from backend.storage.documents import Song
from model.library import cover_groups

MAX_POINTS = 5000
"""Songs on one map (the first ``MAX_POINTS`` of the index); a larger ``limit`` is refused."""


def project(matrix: np.ndarray) -> np.ndarray:
    """(n, dim) -> (n, 2) by PCA; fewer than 3 songs are laid out on a line."""
    n = matrix.shape[0]
    if n < 3:
        return np.column_stack([np.arange(n, dtype=np.float64), np.zeros(n)])
    from sklearn.decomposition import PCA

    xy: np.ndarray = PCA(n_components=2, random_state=0).fit_transform(matrix)
    return xy


@dataclass(frozen=True)
class Groups:
    """Cover groups (largest first) and each grouped song's group number."""

    groups: list[list[str]]
    of: dict[str, int]


@dataclass(frozen=True)
class MapPoints:
    songs: list[Song]
    xy: np.ndarray
    """(n, 2)"""
    groups: list[int]
    """Each song's group number, -1 when it is in none."""


class MapCache:
    """Groups and maps keyed by the versions they were computed from."""

    def __init__(self, *, size: int = 16) -> None:
        self._items: LRUCache[tuple[Any, ...], Any] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def _cached(self, key: tuple[Any, ...], make: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
        if found is None:
            found = make()
            with self._lock:
                self._items[key] = found
        return found

    def groups(self, graph: GraphIndex, *, threshold: float) -> Groups:
        """The cover groups of confirmed edges (fused >= ``threshold``)."""

        def make() -> Groups:
            found = graph.read(lambda g: cover_groups(g, threshold=threshold))
            return Groups(found, {s: i for i, group in enumerate(found) for s in group})

        return self._cached(("groups", graph.sync(), threshold), make)  # type: ignore[no-any-return]

    def points(
        self, snap: Snapshot, graph: GraphIndex, *, threshold: float, limit: int
    ) -> MapPoints:
        """The first ``limit`` songs of ``snap``, projected, with their group numbers."""
        grouped = self.groups(graph, threshold=threshold)

        def make() -> MapPoints:
            songs = snap.songs[:limit]
            xy = project(snap.matrix[:limit]) if songs else np.zeros((0, 2))
            labels = [grouped.of.get(str(doc["_id"]), -1) for doc in songs]
            return MapPoints(songs, xy, labels)

        key = ("map", snap.version, graph.version, threshold, limit)
        return self._cached(key, make)  # type: ignore[no-any-return]
