"""The library's vector index at scale: the approximate index against exact search (the oracle),
growth in place, removal, persistence, and the background rebuild after a model change.

Real parts: songs in the embedded MongoDB-wire server through ``SongRepository``, the index
saved to a ``LocalStore`` folder, faiss for the approximate index. The libraries are small
(hundreds of songs) with ``ann_above`` lowered so the approximate path runs.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import numpy as np
import pytest

from backend.search.ann import REDUCED_DIM
from backend.search.song_ann import SongAnn, store_key
from backend.search.vector_index import VectorIndex
from backend.settings import Settings
from backend.storage.db import connect
from backend.storage.embedded import EmbeddedMongo
from backend.storage.feature_store import LocalStore
from backend.storage.song_repository import SongRepository
from model.verdict import Calibration

DIM = 96
"""Above ``ann.REDUCED_DIM``, so the projection runs too."""
SPAN = 24


def unit(x: np.ndarray) -> np.ndarray:
    normed: np.ndarray = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return normed


def clustered(n: int, *, seed: int) -> np.ndarray:
    """``n`` unit vectors around 30 centres (works with several versions), (n, DIM), whose
    variance lies in a ``SPAN``-dimensional subspace like real embeddings' (a few dozen
    directions), plus a little isotropic noise."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(np.random.default_rng(0).standard_normal((DIM, SPAN)))[0]
    centres = rng.standard_normal((30, SPAN))
    inner = centres[rng.integers(30, size=n)] + 0.35 * rng.standard_normal((n, SPAN))
    return unit(inner @ basis.T + 0.01 * rng.standard_normal((n, DIM)))


def fresh_repo(mongo: EmbeddedMongo) -> SongRepository:
    settings = Settings(mongodb_uri=mongo.uri, mongodb_db=f"v_{uuid.uuid4().hex[:10]}")
    repo = SongRepository(connect(mongo.uri, settings))
    repo.ensure_indexes()
    return repo


def add_songs(repo: SongRepository, vectors: np.ndarray, *, version: str = "v1") -> list[str]:
    return [
        str(repo.insert({"title": f"s{i}", "model_version": version}, v)["_id"])
        for i, v in enumerate(vectors)
    ]


def exact_top(query: np.ndarray, vectors: np.ndarray, ids: list[str], k: int) -> list[str]:
    """Brute force, one distance at a time: the oracle."""
    dists = [(float(np.linalg.norm(query - v)), ids[i]) for i, v in enumerate(vectors)]
    return [song for _, song in sorted(dists)[:k]]


class GatedIndex(VectorIndex):
    """The product's index whose retraining waits for ``gate`` once one is set: lets a test
    look at what is served while a build is under way."""

    gate: threading.Event | None = None
    builds = 0

    def build_ann(self, ids: list[str], matrix: np.ndarray) -> SongAnn:
        self.builds += 1
        if self.gate is not None:
            self.gate.wait(timeout=60)
        return super().build_ann(ids, matrix)


def hits(index: VectorIndex, query: np.ndarray, k: int = 10) -> list[str]:
    return [str(doc["_id"]) for doc, _ in index.nearest(query, limit=k)]


def test_approximate_search_with_every_cell_probed_equals_exact_search(
    mongo: EmbeddedMongo,
) -> None:
    repo = fresh_repo(mongo)
    vectors = clustered(400, seed=0)
    ids = add_songs(repo, vectors)
    index = VectorIndex(repo, "v1", Calibration, check_every=0.0, ann_above=100)
    snap = index.snapshot()
    assert snap.ann is not None and snap.ann.size == 400 and snap.ann.lists > 1
    assert snap.ann.dims == REDUCED_DIM < DIM
    snap.ann.probes = snap.ann.lists
    queries = unit(vectors[:20] + 0.2 * np.random.default_rng(5).standard_normal((20, DIM)))
    for query in queries:
        found = index.nearest(query, limit=10)
        assert [str(doc["_id"]) for doc, _ in found] == exact_top(query, vectors, ids, 10)
        exact = sorted(float(np.linalg.norm(query - v)) for v in vectors)[:10]
        assert [d for _, d in found] == pytest.approx(exact, abs=1e-5)


def test_added_song_is_found_and_removed_song_gone_without_retraining(
    mongo: EmbeddedMongo,
) -> None:
    repo = fresh_repo(mongo)
    vectors = clustered(300, seed=1)
    ids = add_songs(repo, vectors)
    index = GatedIndex(repo, "v1", Calibration, check_every=0.0, ann_above=100)
    before = index.snapshot()
    ann = before.ann
    assert ann is not None and index.builds == 1
    query = unit(np.random.default_rng(9).standard_normal(DIM))
    (new_id,) = add_songs(repo, unit(query + 0.01 * np.ones(DIM))[None])
    assert hits(index, query)[0] == new_id
    assert index.snapshot().ann is ann and ann.size == 301 and index.builds == 1
    # A request still holding the earlier snapshot shares the grown index but answers from
    # its own songs only.
    earlier = [str(doc["_id"]) for doc, _ in index.nearest(query, limit=10, snap=before)]
    assert new_id not in earlier and set(earlier) <= set(ids)
    closest = hits(index, vectors[7], k=1)[0]
    assert closest == ids[7]
    repo.delete(closest)
    assert closest not in hits(index, vectors[7])
    assert ann.size == 300 and index.builds == 1


def test_index_saved_in_the_feature_store_is_loaded_not_retrained(
    mongo: EmbeddedMongo, tmp_path: Path
) -> None:
    repo = fresh_repo(mongo)
    vectors = clustered(300, seed=2)
    add_songs(repo, vectors)
    store = LocalStore(tmp_path / "features")
    first = GatedIndex(repo, "v1", Calibration, check_every=0.0, ann_above=100, store=store)
    queries = clustered(15, seed=3)
    before = [hits(first, q) for q in queries]
    assert (tmp_path / "features" / store_key("v1")).is_file()
    extra = add_songs(repo, clustered(5, seed=4))
    second = GatedIndex(repo, "v1", Calibration, check_every=0.0, ann_above=100, store=store)
    after = [hits(second, q) for q in queries]
    assert second.builds == 0  # read back, then the 5 new songs added in place
    snap = second.snapshot()
    assert snap.ann is not None and snap.ann.size == 305
    assert all(song in snap.positions for song in extra)
    loaded = SongAnn.load(store, "v1")
    assert loaded is not None and loaded.ann.lists == snap.ann.lists
    for q, old, new in zip(queries, before, after, strict=True):
        with_extra = set(old) | set(extra)
        assert set(new) <= with_extra, q

    # A damaged file is not trusted: the next process retrains (and saves a good one).
    store.put(store_key("v1"), b"not an index")
    third = GatedIndex(repo, "v1", Calibration, check_every=0.0, ann_above=100, store=store)
    assert [hits(third, q) for q in queries] == after and third.builds == 1
    assert SongAnn.load(store, "v1") is not None


def test_rebuild_after_reembedding_runs_in_the_background_and_swaps_atomically(
    mongo: EmbeddedMongo,
) -> None:
    repo = fresh_repo(mongo)
    current = add_songs(repo, clustered(120, seed=5), version="v2")
    stale_vectors = clustered(240, seed=6)
    stale = add_songs(repo, stale_vectors, version="v1")
    index = GatedIndex(repo, "v2", Calibration, check_every=0.0, ann_above=100)
    old = index.snapshot()
    assert old.ann is not None and len(old.songs) == 120 and index.builds == 1

    # The re-embedding job gives the v1 songs v2 vectors, then bumps the library version.
    index.gate = threading.Event()
    for song, vector in zip(stale, stale_vectors, strict=True):
        repo.set_embedding(repo.get(song)["_id"], vector, "v2")
    repo.bump()
    query = stale_vectors[0]
    served = hits(index, query)  # starts the build, which waits for the gate
    assert index.builds == 2 and not index.wait_built(timeout=0.05)
    assert index.snapshot() is old
    assert set(served) <= set(current)  # the old index answers, whole
    index.gate.set()
    assert index.wait_built(timeout=60)
    new = index.snapshot()
    assert new is not old and new.ann is not None and new.ann is not old.ann
    assert len(new.songs) == 360 and new.ann.size == 360
    assert hits(index, query, k=1) == [stale[0]]
