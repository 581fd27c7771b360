"""``coverscope bench index``: the library's vector index at scale, on synthetic embeddings.

A library of ``--n`` embeddings from ``training.synthetic_embeddings`` (fitted on the real
embeddings in ``--real``), served by the product's ``VectorIndex`` from an in-memory library
(the database is not part of the figures). Times the first snapshot (read, train, fill and
save to a temporary feature folder: the build), a restart that reads the saved index back
instead of training, each top-10 query of ``--queries`` through ``VectorIndex.nearest`` (half
covers of library songs, half strangers) against exact search over the same matrix
(recall@10; wall time, and the thread's CPU time, which leaves out waiting for a core on a
shared machine), the exact numpy scan for comparison, and one refresh that adds ``--add``
songs in place. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np

from backend.search.song_ann import store_key
from backend.search.vector_index import VectorIndex
from backend.storage.documents import Song
from backend.storage.feature_store import LocalStore
from model.verdict import Calibration
from training import synthetic_embeddings as synthetic

MODEL_VERSION = "synthetic"


class MemoryLibrary:
    """Songs and vectors in memory with a version counter: what ``VectorIndex`` reads."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.chunks: list[np.ndarray] = []
        self._version = 0

    def add(self, vectors: np.ndarray) -> list[str]:
        first = len(self.ids)
        new = [f"{first + i:024x}" for i in range(len(vectors))]
        self.ids.extend(new)
        self.chunks.append(vectors)
        self._version += 1
        return new

    def version(self) -> int:
        return self._version

    def catalog(self, model_version: str) -> Iterator[tuple[Song, np.ndarray | None]]:
        position = 0
        for chunk in self.chunks:
            for vector in chunk:
                yield cast(Song, {"_id": self.ids[position]}), vector
                position += 1


def exact_top(matrix: np.ndarray, queries: np.ndarray, *, k: int) -> np.ndarray:
    """Row numbers of the ``k`` nearest rows of ``matrix`` to each query, (n_queries, k)."""
    found = []
    for start in range(0, len(queries), 32):
        sims = queries[start : start + 32] @ matrix.T
        # A copy: the slice alone would keep each (32, n) partition alive.
        found.append(np.argpartition(-sims, k - 1, axis=1)[:, :k].copy())
    return np.concatenate(found)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main(args: argparse.Namespace) -> int:
    load_start = os.getloadavg()[0]
    tracks, pairs = synthetic.load_real(args.real)
    model = synthetic.fit(tracks, pairs)
    library = MemoryLibrary()
    started = time.perf_counter()
    for chunk in synthetic.library(model, n=args.n, seed=args.seed):
        library.add(chunk)
    generate_s = time.perf_counter() - started
    matrix = np.concatenate(library.chunks)
    queries = synthetic.queries(model, matrix, n=args.queries, seed=args.seed + 1)

    folder = tempfile.TemporaryDirectory()
    store = LocalStore(Path(folder.name))
    index = VectorIndex(library, MODEL_VERSION, Calibration, check_every=0.0, store=store)
    started = time.perf_counter()
    snap = index.snapshot()
    build_s = time.perf_counter() - started
    ann = snap.ann
    saved = Path(folder.name) / store_key(MODEL_VERSION)
    saved_mb = saved.stat().st_size / 2**20 if saved.exists() else 0.0
    started = time.perf_counter()  # a restart: the same library, the saved index read back
    VectorIndex(library, MODEL_VERSION, Calibration, check_every=0.0, store=store).snapshot()
    restart_s = time.perf_counter() - started
    folder.cleanup()

    truth = exact_top(matrix, queries, k=args.k)
    latencies, cpu, recalls = [], [], []
    for query, expected in zip(queries, truth, strict=True):
        t0, c0 = time.perf_counter(), time.thread_time()
        hits = index.nearest(query, limit=args.k, snap=snap)
        latencies.append(1000.0 * (time.perf_counter() - t0))
        cpu.append(1000.0 * (time.thread_time() - c0))
        found = {snap.positions[str(doc["_id"])] for doc, _ in hits}
        recalls.append(len(found & set(expected.tolist())) / args.k)
    exact_ms = []
    for query in queries[:100]:
        t0 = time.perf_counter()
        sims = snap.matrix @ query
        np.argpartition(-sims, args.k)[: args.k]
        exact_ms.append(1000.0 * (time.perf_counter() - t0))

    added = library.add(synthetic.versions(model, matrix[: args.add].astype(np.float64), seed=7))
    started = time.perf_counter()
    index.refresh()
    refresh_s = time.perf_counter() - started
    fresh = index.snapshot()
    found_added = sum(
        str(index.nearest(v, limit=1, snap=fresh)[0][0]["_id"]) == song
        for song, v in zip(added[:50], library.chunks[-1][:50], strict=True)
    )
    figures = {
        "n": args.n,
        "dim": int(matrix.shape[1]),
        "queries": args.queries,
        "k": args.k,
        "method": "exact numpy" if ann is None else "faiss IVF-SQ8 + exact re-rank",
        "lists": None if ann is None else ann.lists,
        "probes": None if ann is None else ann.probes,
        "p50_ms": round(statistics.median(latencies), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "mean_ms": round(statistics.fmean(latencies), 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "cpu_p95_ms": round(percentile(cpu, 95), 3),
        "recall_at_10": round(statistics.fmean(recalls), 4),
        "recall_at_10_min": round(min(recalls), 2),
        "exact_scan_p50_ms": round(statistics.median(exact_ms), 3),
        "exact_scan_p95_ms": round(percentile(exact_ms, 95), 3),
        "build_s": round(build_s, 2),
        "generate_s": round(generate_s, 2),
        "saved_mb": round(saved_mb, 1),
        "restart_s": round(restart_s, 2),
        "add_songs": args.add,
        "add_refresh_s": round(refresh_s, 2),
        "retrained_on_add": fresh.ann is not ann,
        "added_found_first": f"{found_added}/{min(50, args.add)}",
        "memory_mb": round(
            (snap.matrix.nbytes + (0 if ann is None else ann.memory_bytes())) / 2**20, 1
        ),
        "index_codes_mb": None if ann is None else round(ann.memory_bytes() / 2**20, 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_avg_1m": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "generator": {
            "fitted_on": model.fitted_on,
            "real": synthetic.spectrum_summary(tracks),
            "synthetic": synthetic.spectrum_summary(matrix[:50_000]),
            "extra_versions_per_work": synthetic.EXTRA_VERSIONS,
        },
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0
