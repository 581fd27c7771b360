"""In-memory nearest-neighbour search over the library's embeddings.

The index holds an (n, dim) float32 matrix of unit embeddings and the song documents, and
reloads both when the database's library version changes (any insert, edit, delete or
re-embedding, from any process). Brute force with numpy: for unit vectors
``|a - b|^2 = 2 - 2 a.b``, so one matrix-vector product ranks the whole library.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backend.repository import SongRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    version: int
    model_version: str
    matrix: np.ndarray
    songs: list[dict[str, Any]]
    positions: dict[str, int] = field(default_factory=dict)


class SearchIndex:
    """Thread-safe, lazily refreshed view of every song embedded by the current model."""

    def __init__(
        self, songs: SongRepository, model_version: str, *, check_every: float = 0.2
    ) -> None:
        self.repo = songs
        self.model_version = model_version
        self.check_every = check_every
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current snapshot, reloaded first if the library changed."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked < self.check_every:
            return snap
        version = self.repo.version()
        self._checked = now
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = self._load(version)
            return self._snapshot

    def _load(self, version: int) -> Snapshot:
        started = time.perf_counter()
        songs: list[dict[str, Any]] = []
        vectors: list[np.ndarray] = []
        for doc, vector in self.repo.embeddings(self.model_version):
            songs.append(doc)
            vectors.append(vector)
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 1), np.float32)
        positions = {str(doc["_id"]): i for i, doc in enumerate(songs)}
        log.info(
            "search index: %d songs loaded in %.2f s", len(songs), time.perf_counter() - started
        )
        return Snapshot(version, self.model_version, matrix, songs, positions)

    def vector(self, song_id: str) -> np.ndarray | None:
        snap = self.snapshot()
        pos = snap.positions.get(song_id)
        return None if pos is None else snap.matrix[pos]

    def nearest(
        self, query: np.ndarray, *, limit: int, exclude: str | None = None
    ) -> list[tuple[dict[str, Any], float]]:
        """The ``limit`` closest songs to ``query`` as (song document, distance), closest first."""
        snap = self.snapshot()
        n = snap.matrix.shape[0]
        if n == 0:
            return []
        sims = snap.matrix @ np.asarray(query, dtype=np.float32)
        skip = snap.positions.get(exclude) if exclude else None
        if skip is not None:
            sims[skip] = -np.inf
        k = min(limit, n - (1 if skip is not None else 0))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-sims[top], kind="stable")]
        dists = np.sqrt(np.clip(2.0 - 2.0 * sims[top], 0.0, 4.0))
        return [(snap.songs[i], float(d)) for i, d in zip(top, dists, strict=True)]
