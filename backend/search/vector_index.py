"""In-memory nearest-neighbour search over the library's embeddings.

The index holds an (n, dim) float32 matrix of unit embeddings and the song documents, and
reloads both when the database's library version changes (any insert, edit, delete or
re-embedding, from any process). Brute force with numpy: for unit vectors
``|a - b|^2 = 2 - 2 a.b``, so one matrix-vector product ranks the whole library. From
``faiss_above`` songs a faiss 8-bit scalar-quantised flat index (a quarter of the memory
traffic) shortlists candidates that are then re-scored exactly, so results stay exact in
practice and distances always are (see docs/benchmarks.md, "API service").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backend.storage.documents import Song
from backend.storage.song_repository import SongRepository
from model.errors import CoverscopeError
from model.verdict import Calibration

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    version: int
    model_version: str
    matrix: np.ndarray
    songs: list[Song]
    calibration: Calibration
    positions: dict[str, int] = field(default_factory=dict)
    quantised: Any = None
    """A faiss index over ``matrix`` for large libraries, else ``None``."""
    catalog: list[Song] = field(default_factory=list)
    """Every song of the library (any model version), for listing and search."""
    orders: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """Catalog positions sorted by (field, order), computed on first use."""


class VectorIndex:
    """Thread-safe view of every song embedded by the current model, kept in sync.

    The first query loads the snapshot. After that a daemon thread polls the library version
    every ``check_every`` seconds and swaps in a fresh snapshot when it changed, so queries
    never wait on the database (a slow database only makes the view a little stale).
    ``check_every=0`` instead checks synchronously on every query (tests).
    """

    def __init__(
        self,
        songs: SongRepository,
        model_version: str,
        calibration: Callable[[], Calibration],
        *,
        check_every: float = 0.2,
        faiss_above: int = 50_000,
    ) -> None:
        self.repo = songs
        self.model_version = model_version
        self.load_calibration = calibration
        self.check_every = check_every
        self.faiss_above = faiss_above
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._poller: threading.Thread | None = None

    def snapshot(self) -> Snapshot:
        """The current snapshot (loaded on first use)."""
        snap = self._snapshot
        if snap is not None and self.check_every > 0:
            return snap
        self.refresh()
        assert self._snapshot is not None
        if self.check_every > 0:
            self._start_poller()
        return self._snapshot

    def refresh(self) -> bool:
        """Reload if the library version changed; returns whether it did."""
        version = self.repo.version()
        if self._snapshot is not None and self._snapshot.version == version:
            return False
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return False
            self._snapshot = self._load(version)
            return True

    def _start_poller(self) -> None:
        with self._lock:
            if self._poller is not None and self._poller.is_alive():
                return
            self._poller = threading.Thread(target=self._poll, name="index-poller", daemon=True)
            self._poller.start()

    def _poll(self) -> None:
        while True:
            time.sleep(self.check_every)
            try:
                self.refresh()
            except CoverscopeError as exc:
                log.debug("vector index refresh skipped: %s", exc.message)
            except Exception:
                log.exception("vector index refresh failed")

    def _load(self, version: int) -> Snapshot:
        started = time.perf_counter()
        songs: list[Song] = []
        vectors: list[np.ndarray] = []
        catalog: list[Song] = []
        for doc, vector in self.repo.catalog(self.model_version):
            catalog.append(doc)
            if vector is not None:
                songs.append(doc)
                vectors.append(vector)
        matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 1), np.float32)
        positions = {str(doc["_id"]): i for i, doc in enumerate(songs)}
        log.info(
            "vector index: %d songs loaded in %.2f s", len(songs), time.perf_counter() - started
        )
        calibration = self.load_calibration()
        quantised = quantise(matrix) if len(songs) >= self.faiss_above else None
        return Snapshot(
            version, self.model_version, matrix, songs, calibration, positions, quantised, catalog
        )

    def nearest(
        self,
        query: np.ndarray,
        *,
        limit: int,
        exclude: str | None = None,
        snap: Snapshot | None = None,
    ) -> list[tuple[Song, float]]:
        """The ``limit`` closest songs to ``query`` as (song document, distance), closest first."""
        snap = snap or self.snapshot()
        n = snap.matrix.shape[0]
        if n == 0:
            return []
        query = np.ascontiguousarray(query, dtype=np.float32)
        skip = snap.positions.get(exclude) if exclude else None
        k = min(limit, n - (1 if skip is not None else 0))
        if k <= 0:
            return []
        if snap.quantised is not None:
            shortlist = min(n, 2 * k + 64)
            _, found = snap.quantised.search(query[None], shortlist)
            candidates = found[0][found[0] >= 0]
            sims = snap.matrix[candidates] @ query
        else:
            candidates = np.arange(n)
            sims = snap.matrix @ query
        if skip is not None:
            sims[candidates == skip] = -np.inf
        k = min(k, len(candidates))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        dists = np.sqrt(np.clip(2.0 - 2.0 * sims[top], 0.0, 4.0))
        return [(snap.songs[int(candidates[i])], float(d)) for i, d in zip(top, dists, strict=True)]


def quantise(matrix: np.ndarray) -> Any:
    """An 8-bit scalar-quantised inner-product faiss index over the rows of ``matrix``."""
    import faiss

    faiss.omp_set_num_threads(1)  # requests are concurrent already; threads only contend
    index = faiss.IndexScalarQuantizer(
        matrix.shape[1], faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.train(matrix)
    index.add(matrix)
    return index
