"""In-memory nearest-neighbour search over the library's embeddings.

The index holds an (n, dim) float32 matrix of unit embeddings and the song documents, and
reloads both when the database's library version changes (any insert, edit, delete or
re-embedding, from any process). Small libraries are searched exactly with numpy: for unit
vectors ``|a - b|^2 = 2 - 2 a.b``, so one matrix-vector product ranks the whole library. From
``ann_above`` songs an inverted file of 8-bit codes (``backend.search.ann``) shortlists
candidates that are then re-scored exactly on the float vectors, so distances are always
exact and the ranking almost always (recall@10 in docs/benchmarks.md, "Index at scale").
That index grows in place as songs come and go (``backend.search.song_ann``), is saved in the
feature store, and is retrained in a background thread when the library outgrows it or a
re-embedding replaced most vectors; until the new one is ready the old snapshot serves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from backend.search.poller import Poller
from backend.search.snapshot import Library, Snapshot
from backend.search.song_ann import SongAnn
from backend.storage.documents import Song
from backend.storage.feature_store import FeatureStore
from model.errors import CoverscopeError
from model.verdict import Calibration

log = logging.getLogger(__name__)


def shortlist_size(k: int) -> int:
    """Candidates the approximate index hands to exact re-scoring for a top-``k``."""
    return 2 * k + 64


class VectorIndex:
    """Thread-safe view of every song embedded by the current model, kept in sync.

    The first query loads the snapshot. After that a daemon thread polls the library version
    every ``check_every`` seconds and swaps in a fresh snapshot when it changed, so queries
    never wait on the database (a slow database only makes the view a little stale).
    ``check_every=0`` instead checks synchronously on every query (tests). With a ``store``
    the approximate index is saved there (at most every ``save_every`` seconds) and reloaded
    on start.
    """

    def __init__(
        self,
        songs: Library,
        model_version: str,
        calibration: Callable[[], Calibration],
        *,
        check_every: float = 0.2,
        ann_above: int = 20_000,
        store: FeatureStore | None = None,
        save_every: float = 300.0,
    ) -> None:
        self.repo = songs
        self.model_version = model_version
        self.load_calibration = calibration
        self.check_every = check_every
        self.ann_above = ann_above
        self.store = store
        self.save_every = save_every
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._poller = Poller(self.refresh, every=check_every, name="index-poller")
        self._song_ann: SongAnn | None = None
        self._builder: threading.Thread | None = None
        self._failed_version: int | None = None
        """Library version whose background build failed: not retried until it changes."""
        self._saved_at = time.monotonic()

    def snapshot(self) -> Snapshot:
        """The current snapshot (loaded on first use)."""
        snap = self._snapshot
        if snap is not None and self.check_every > 0:
            return snap
        self.refresh()
        assert self._snapshot is not None
        if self.check_every > 0:
            self._poller.start()
        return self._snapshot

    def refresh(self) -> bool:
        """Reload if the library version changed; returns whether a new snapshot is serving.

        ``False`` also while a retrained index is being built in the background: the current
        snapshot serves until it is ready (``wait_built``)."""
        version = self.repo.version()
        if self._snapshot is not None and self._snapshot.version == version:
            return False
        with self._lock:
            if self._snapshot is not None and self._snapshot.version == version:
                return False
            if self._builder is not None and self._builder.is_alive():
                return False
            if version == self._failed_version:
                return False
            return self._load(version)

    def wait_built(self, timeout: float | None = None) -> bool:
        """Wait for a background build to land; whether none is running any more."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)
        return builder is None or not builder.is_alive()

    def _load(self, version: int) -> bool:
        """Read the library and install a snapshot of it, or start a background build."""
        started = time.perf_counter()
        songs: list[Song] = []
        vectors: list[np.ndarray] = []
        catalog: list[Song] = []
        for doc, vector in self.repo.catalog(self.model_version):
            catalog.append(doc)
            if vector is not None:
                songs.append(doc)
                vectors.append(vector)
        matrix = (
            np.stack(vectors).astype(np.float32, copy=False)
            if vectors
            else np.zeros((0, 1), np.float32)
        )
        del vectors
        log.info(
            "vector index: %d songs loaded in %.2f s", len(songs), time.perf_counter() - started
        )
        ids = [str(doc["_id"]) for doc in songs]
        snap = Snapshot(
            version,
            self.model_version,
            matrix,
            songs,
            self.load_calibration(),
            {song: i for i, song in enumerate(ids)},
            catalog=catalog,
        )
        if len(songs) < self.ann_above:
            self._song_ann = None
            self._snapshot = snap
            return True
        if self._song_ann is None and self._snapshot is None:
            self._song_ann = self._saved()
        current = self._song_ann
        if current is not None and current.sync(ids, matrix):
            self._snapshot = self._with_ann(snap, current, ids)
            if time.monotonic() - self._saved_at >= self.save_every:
                self._save(current)
            return True
        if self._snapshot is None:  # nothing serves yet: build now
            self._song_ann = self._timed_build(ids, snap.matrix)
            self._snapshot = self._with_ann(snap, self._song_ann, ids)
            self._save(self._song_ann)
            return True
        self._builder = threading.Thread(
            target=self._build, args=(snap, ids), name="index-builder", daemon=True
        )
        self._builder.start()
        return False

    def _build(self, snap: Snapshot, ids: list[str]) -> None:
        """Train and fill a new index for ``snap`` (background thread), then swap it in."""
        try:
            built = self._timed_build(ids, snap.matrix)
            with self._lock:  # saved under the lock: no ``sync`` may change it half-written
                self._song_ann = built
                self._snapshot = self._with_ann(snap, built, ids)
                self._save(built)
        except Exception:
            self._failed_version = snap.version
            log.exception("vector index build failed; the previous snapshot keeps serving")

    def _timed_build(self, ids: list[str], matrix: np.ndarray) -> SongAnn:
        started = time.perf_counter()
        built = self.build_ann(ids, matrix)
        log.info(
            "vector index: %d lists over %d songs built in %.1f s",
            built.ann.lists,
            len(ids),
            time.perf_counter() - started,
        )
        return built

    def build_ann(self, ids: list[str], matrix: np.ndarray) -> SongAnn:
        """A freshly trained approximate index of ``matrix`` (row i is song ``ids[i]``)."""
        return SongAnn.build(ids, matrix)

    @staticmethod
    def _with_ann(snap: Snapshot, song_ann: SongAnn, ids: list[str]) -> Snapshot:
        return Snapshot(
            snap.version,
            snap.model_version,
            snap.matrix,
            snap.songs,
            snap.calibration,
            snap.positions,
            song_ann.ann,
            song_ann.rows(ids),
            snap.catalog,
        )

    def _saved(self) -> SongAnn | None:
        """The index saved in the store for this model, if any can be read."""
        if self.store is None:
            return None
        try:
            return SongAnn.load(self.store, self.model_version)
        except CoverscopeError as exc:
            log.warning("saved vector index not read: %s", exc.message)
        except (ValueError, KeyError, RuntimeError) as exc:  # a damaged file: retrain
            log.warning("saved vector index unreadable, retraining: %s", exc)
        return None

    def _save(self, song_ann: SongAnn) -> None:
        if self.store is None:
            return
        try:
            song_ann.save(self.store, self.model_version)
        except CoverscopeError as exc:
            log.warning("vector index not saved: %s", exc.message)
        self._saved_at = time.monotonic()

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
        if snap.ann is not None:
            labels = snap.ann.shortlist(query, count=min(n, shortlist_size(k)))
            # Labels added after this snapshot was taken are not among its rows.
            found = snap.rows[labels[labels < len(snap.rows)]]
            candidates = found[found >= 0]
            sims = snap.matrix[candidates] @ query
        else:
            candidates = np.arange(n)
            sims = snap.matrix @ query
        if skip is not None:
            sims[candidates == skip] = -np.inf
        k = min(k, len(candidates))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        dists = np.sqrt(np.clip(2.0 - 2.0 * sims[top], 0.0, 4.0))
        return [(snap.songs[int(candidates[i])], float(d)) for i, d in zip(top, dists, strict=True)]
