"""Approximate nearest neighbours over unit embeddings: an inverted file of 8-bit codes.

faiss ``IndexIVFScalarQuantizer`` behind a PCA to ``REDUCED_DIM`` dimensions: k-means splits
the projected space into ``lists`` cells; each vector is stored in its cell as 8-bit codes of
its residual to the cell's centre (1/32 of its float32 bytes). A query scans the ``probes``
cells nearest to it and returns a shortlist by approximate distance, which the caller
re-scores exactly on the float vectors (``backend.search.vector_index``). Vectors are added
and removed in place under labels the caller chooses, without retraining, so the index grows
with the library; retraining is only needed when the library outgrows the cells
(``AnnIndex.outgrown``) or the model changes. Chosen over HNSW because faiss's HNSW cannot
remove a vector (a deleted song would need a rebuild) and its graph costs more memory than
the codes; figures in docs/benchmarks.md, "Index at scale".
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

LISTS_PER_ROOT = 2
"""Cells per square root of the library size at training: the usual 4 sqrt(n) halved, for
half the training cost."""
PROBES = 96
"""Cells a query scans. With ``lists`` growing as sqrt(n) a fixed number of probes keeps the
recall as the library grows (synthetic libraries, ``coverscope bench index``: recall@10 0.995
with 96 of 632 cells at 100k songs, 0.986 with 96 of 2000 at 1M), while the codes scanned
grow as sqrt(n)."""
TRAIN_PER_LIST = 40
"""Training vectors per cell: faiss warns below 39."""
TRAIN_ITERATIONS = 10
REDUCED_DIM = 32
"""Dimensions kept (PCA) before the cells and codes. The embeddings' variance lives in a few
dozen directions: 32 hold 95 % of it for the real ones, 64 hold 99 %. Measured at 1M songs,
32 gave the recall of 64 (0.986) at half the query time and a quarter of the build; the
exact re-scoring on all dimensions restores the distances."""
GROWTH = 4.0
"""Retrain once the library holds this many times the vectors it was trained on."""


def _faiss() -> Any:
    import faiss

    faiss.omp_set_num_threads(1)  # requests are concurrent already; threads only contend
    return faiss


def list_count(n: int) -> int:
    """Cells for a library of ``n`` vectors: ``LISTS_PER_ROOT * sqrt(n)``, at least 1."""
    return max(1, int(LISTS_PER_ROOT * math.sqrt(n)))


class AnnIndex:
    """A trained inverted-file index of labelled unit vectors; thread-safe.

    ``labels`` are non-negative int64 chosen by the caller (positions in its own arrays).
    Searches, additions and removals are serialised by one lock: faiss reallocates a cell
    while adding to it.
    """

    def __init__(self, index: Any, *, trained_for: int) -> None:
        self._index = index
        self.trained_for = trained_for
        """How many vectors the library held when the cells were trained."""
        self._lock = threading.Lock()

    @classmethod
    def train(cls, sample: np.ndarray, *, seed: int = 0) -> AnnIndex:
        """Cells fitted on ``sample`` (n, dim) unit float32 (nothing added yet); the cell count
        follows ``n`` (``list_count``) and at most ``TRAIN_PER_LIST`` vectors per cell train."""
        faiss = _faiss()
        n, dim = sample.shape
        lists = min(list_count(n), max(1, n // 4))
        reduced = min(dim, REDUCED_DIM)
        ivf = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatL2(reduced), reduced, lists, faiss.ScalarQuantizer.QT_8bit
        )
        ivf.cp.niter = TRAIN_ITERATIONS
        ivf.cp.seed = seed
        ivf.cp.max_points_per_centroid = TRAIN_PER_LIST
        ivf.nprobe = min(lists, PROBES)
        index = (
            ivf if reduced == dim else faiss.IndexPreTransform(faiss.PCAMatrix(dim, reduced), ivf)
        )
        rows = np.random.default_rng(seed).permutation(n)[: lists * TRAIN_PER_LIST]
        index.train(np.ascontiguousarray(sample[np.sort(rows)], dtype=np.float32))
        return cls(index, trained_for=n)

    @property
    def _ivf(self) -> Any:
        return _faiss().extract_index_ivf(self._index)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dims(self) -> int:
        """Dimensions of the cells and codes (after the projection)."""
        return int(self._ivf.d)

    @property
    def lists(self) -> int:
        return int(self._ivf.nlist)

    @property
    def probes(self) -> int:
        return int(self._ivf.nprobe)

    @probes.setter
    def probes(self, value: int) -> None:
        self._ivf.nprobe = max(1, min(int(value), self.lists))

    def outgrown(self, n: int) -> bool:
        """Whether a library of ``n`` vectors should be re-trained (cells too long)."""
        return n > GROWTH * self.trained_for

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        """Add (n, dim) float32 ``vectors`` under ``labels`` (n,) int64."""
        if len(labels) == 0:
            return
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(labels, dtype=np.int64)
        with self._lock:
            self._index.add_with_ids(data, ids)

    def remove(self, labels: np.ndarray) -> int:
        """Drop the vectors under ``labels``; returns how many were there."""
        if len(labels) == 0:
            return 0
        faiss = _faiss()
        ids = np.ascontiguousarray(labels, dtype=np.int64)
        with self._lock:
            return int(self._index.remove_ids(faiss.IDSelectorBatch(len(ids), faiss.swig_ptr(ids))))

    def shortlist(self, query: np.ndarray, *, count: int) -> np.ndarray:
        """Labels of about the ``count`` nearest vectors to ``query`` (dim,), by approximate
        distance, nearest first; fewer when the scanned cells hold fewer."""
        q = np.ascontiguousarray(query, dtype=np.float32)[None]
        with self._lock:
            _, found = self._index.search(q, count)
        labels: np.ndarray = found[0]
        return labels[labels >= 0]

    def to_bytes(self) -> bytes:
        """The index in faiss's own format (``from_bytes`` reads it back; no pickle)."""
        faiss = _faiss()
        with self._lock:
            data: np.ndarray = faiss.serialize_index(self._index)
        return data.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, *, trained_for: int) -> AnnIndex:
        faiss = _faiss()
        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        return cls(index, trained_for=trained_for)

    def memory_bytes(self) -> int:
        """Bytes of codes, labels and centres (what the index adds to the float vectors)."""
        ivf = self._ivf
        dim = int(self._index.d)
        return self.size * (int(ivf.code_size) + 8) + (self.lists + dim) * int(ivf.d) * 4
