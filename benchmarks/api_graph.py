"""The library graph at 1k, 10k and 100k songs: rank latency through the HTTP API, and the
per-song cost of a graph update.

    nice -n 10 .venv/bin/python benchmarks/api_graph.py --sizes 1000 10000 100000

Each size: songs with synthetic embeddings are seeded up to that size (as
``benchmarks/api_rank.py`` does), and every song gets ``--degree`` stored edges (a ring: song i
is linked to i +- 1..degree/2) with random raw components around the scorer's non-cover
statistics, inserted directly into the ``edges`` collection. Then:

- **rank**: ``--requests`` sequential ``GET /api/rank?song=<random>&limit=50`` over one
  keep-alive connection to gunicorn (2 processes x 8 threads, as ``coverscope serve``), after
  every API process has loaded the library and the graph; each answer is checked to start with
  ``degree`` graph results (diffusion over the neighbourhood) followed by the embedding order.
- **update**: in this process, ``--updates`` songs are linked as the worker links a new song
  (``backend.ingest.linking.Linker``): the first stage (vector-index shortlist of 200, their
  analyses read from the feature store with a cold cache, coarse Qmax) and the fused scoring of
  the 20 candidates, then the edges written both ways. Every song points at one of ``--pool``
  real analyses of 4-minute synthetic songs, so pair costs are those of 4-minute songs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
from api_check import chord_song
from api_common import Api, database, percentiles, seed_synthetic

from backend.ingest.analyse import analyse_song, store_analysis
from backend.ingest.linking import Linker, stored_edge
from backend.search.graph_rank import continue_with_first_stage, graph_entries
from backend.search.snapshot import Snapshot
from backend.search.song_ann import SongAnn
from backend.search.song_features import AnalysisCache, song_analysis
from backend.search.vector_index import VectorIndex
from backend.storage.db import connect
from backend.storage.edge_repository import EdgeRepository, StoredEdge, graph_stamp
from backend.storage.feature_store import LocalStore
from model.embed import Embedder
from model.library import Edge, LibraryGraph, graph_ranking
from model.score import COMPONENTS, ScorerConfig


def synthetic_edges(
    n: int, *, degree: int, config: ScorerConfig, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Raw components (n, degree/2, len(COMPONENTS)) of the ring's pairs (i, i+k), k = 1..,
    drawn around each component's non-cover (mean, std), and their fused scores."""
    rng = np.random.default_rng(seed)
    mean = np.array([config.stats[c][0] for c in COMPONENTS])
    std = np.array([config.stats[c][1] for c in COMPONENTS])
    raw = mean + std * rng.standard_normal((n, degree // 2, len(COMPONENTS)))
    used = [COMPONENTS.index(c) for c in config.components]
    weights = np.array([config.weights.get(c, 1.0) for c in config.components])
    z = (raw[..., used] - mean[used]) / std[used]
    fused = (z * weights).sum(axis=-1) / weights.sum()
    return raw, fused


def seed_edges(
    edges: EdgeRepository, ids: list[str], *, degree: int, config: ScorerConfig, stamp: str
) -> None:
    """Every song's edges to its ``degree`` ring neighbours, written directly, both ways."""
    n = len(ids)
    half = degree // 2
    raw, fused = synthetic_edges(n, degree=degree, config=config, seed=n)

    def edge(i: int, k: int) -> StoredEdge:
        components = {c: float(raw[i, k - 1, j]) for j, c in enumerate(COMPONENTS)}
        return {"fused": float(fused[i, k - 1]), "components": components, "stamp": stamp}

    edges.edges.delete_many({})
    batch: list[Any] = []
    for i in range(n):
        neighbours = {ids[(i + k) % n]: edge(i, k) for k in range(1, half + 1)}
        neighbours.update({ids[(i - k) % n]: edge((i - k) % n, k) for k in range(1, half + 1)})
        batch.append({"_id": ids[i], "neighbours": neighbours})
        if len(batch) == 1000:
            edges.edges.insert_many(batch, ordered=False)
            batch = []
    if batch:
        edges.edges.insert_many(batch, ordered=False)
    edges.mark_rebuilt(stamp)


def wait_graph(api: Api, version: int, timeout: float = 1800.0) -> None:
    """Until every API process holds graph ``version`` (20 answers in a row agree); the first
    answers of a process wait for its graph to load."""
    deadline = time.monotonic() + timeout
    agreeing = 0
    while agreeing < 20:
        try:
            status, body = api.get("/api/stats")
            ok = status == 200 and body["index"]["graph_version"] == version
        except OSError:  # a stats call waiting on a 100k-song graph load timed out
            ok = False
        agreeing = agreeing + 1 if ok else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"the API never held graph version {version}")
        if not ok:
            time.sleep(0.5)


def api_rss_mb(api: Api) -> list[float]:
    """Resident memory of each gunicorn worker process (MB)."""
    children = Path(f"/proc/{api.proc.pid}/task/{api.proc.pid}/children").read_text().split()
    out = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(round(int(line.split()[1]) / 1024, 1))
    return out


def time_rank(api: Api, ids: list[str], *, requests: int, degree: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    conn = api.connection()
    samples = []
    for _ in range(requests):
        song = ids[int(rng.integers(len(ids)))]
        t0 = time.perf_counter()
        status, body = api.get(f"/api/rank?song={song}&limit=50", conn)
        samples.append((time.perf_counter() - t0) * 1000)
        assert status == 200, body
        sources = [r["source"] for r in body["results"]]
        assert sources == ["graph"] * degree + ["first_stage"] * (50 - degree), sources
    return samples


def time_updates(linker: Linker, ids: list[str], *, updates: int, seed: int) -> dict[str, Any]:
    """Link ``updates`` random songs as the worker would; seconds per stage."""
    rng = np.random.default_rng(seed)
    stages: dict[str, list[float]] = {"first_stage": [], "scoring": [], "storing": [], "total": []}
    for _ in range(updates):
        song_id = ids[int(rng.integers(len(ids)))]
        t0 = time.perf_counter()
        song = linker.songs.get(song_id, with_embedding=True)
        query = song_analysis(
            song, cache=linker.analyses, songs=linker.songs, model_version=linker.model_version
        )
        chosen = linker.candidates(query, exclude=song_id)
        t1 = time.perf_counter()
        scored = linker.score(query, chosen)
        t2 = time.perf_counter()
        linker.edges.link(song_id, {o: stored_edge(s, stamp=linker.stamp) for o, s in scored})
        t3 = time.perf_counter()
        assert len(scored) == linker.count, len(scored)
        for name, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            stages[name].append(value)
    return {name: round(float(np.median(v)), 3) for name, v in stages.items()} | {
        "total_max": round(max(stages["total"]), 3),
        "n": updates,
    }


def resident_mb() -> float:
    """This process's resident set (MB)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def in_process(sizes: list[int], *, degree: int, requests: int) -> list[dict[str, Any]]:
    """The rank's compute alone, without HTTP or the database: an in-memory graph of ``size``
    songs with ``degree`` edges each and a snapshot of random embeddings, ranked as
    ``rank_library_song`` does (diffusion over the neighbourhood, entries, embedding tail)."""
    embedder = Embedder.load()
    config = ScorerConfig.load()
    rows = []
    for size in sizes:
        rng = np.random.default_rng(size)
        matrix = rng.standard_normal((size, embedder.dim)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        ids = [f"{i:024x}" for i in range(size)]
        songs: list[Any] = [{"_id": i, "title": f"Synthetic {i}"} for i in ids]
        # As the index serves a library of this size: exact search up to 20k songs, above
        # that the approximate index (``SongAnn``) with exact re-scoring.
        index = VectorIndex(cast(Any, None), embedder.version, lambda: embedder.calibration)
        ann = SongAnn.build(ids, matrix) if size > index.ann_above else None
        snap = Snapshot(
            0,
            embedder.version,
            matrix,
            songs,
            embedder.calibration,
            {s: i for i, s in enumerate(ids)},
            ann=ann.ann if ann is not None else None,
            rows=ann.rows(ids) if ann is not None else np.zeros(0, np.int64),
        )
        raw, fused = synthetic_edges(size, degree=degree, config=config, seed=size)
        gc.collect()
        rss_before = resident_mb()
        graph = LibraryGraph()
        started = time.perf_counter()
        for i in range(size):
            graph.add(
                ids[i],
                [
                    (
                        ids[(i + k) % size],
                        Edge(
                            ids[(i + k) % size],
                            float(fused[i, k - 1]),
                            {c: float(raw[i, k - 1, j]) for j, c in enumerate(COMPONENTS)},
                        ),
                    )
                    for k in range(1, degree // 2 + 1)
                ],
            )
        build_s = time.perf_counter() - started
        gc.collect()
        graph_mb = resident_mb() - rss_before
        samples, diffusion = [], []
        for _ in range(requests):
            song = ids[int(rng.integers(size))]
            t0 = time.perf_counter()
            ordered = graph_ranking(song, graph, config=config)
            t1 = time.perf_counter()
            head = graph_entries(ordered, matrix[snap.positions[song]], snap=snap, config=config)
            results = continue_with_first_stage(
                head, matrix[snap.positions[song]], index=index, snap=snap, limit=50, exclude=song
            )
            samples.append((time.perf_counter() - t0) * 1000)
            diffusion.append((t1 - t0) * 1000)
            assert [r["source"] for r in results[:degree]] == ["graph"] * degree
        row = {
            "songs": size,
            "edges_per_song": degree,
            "graph_build_s": round(build_s, 1),
            "graph_mb": round(graph_mb, 1),
            "graph_bytes_per_directed_edge": round(graph_mb * 2**20 / (size * degree)),
            "rank": percentiles(samples),
            "graph_ranking": percentiles(diffusion),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
        del graph
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--degree", type=int, default=20, help="stored edges per song (even)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--pool", type=int, default=8, help="distinct 4-minute analyses")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--in-process", action="store_true", help="the rank's compute only (no HTTP, no database)"
    )
    args = parser.parse_args()
    if args.in_process:
        rows = in_process(sorted(args.sizes), degree=args.degree, requests=args.requests)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2))
        return
    embedder = Embedder.load()
    config = ScorerConfig.load()
    stamp = graph_stamp(scorer_version=config.version, model_version=embedder.version)
    out = []
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, repo = database(Path(tmp))
        edges = EdgeRepository(connect(db.uri, settings.with_(mongodb_timeout_ms=60_000)))
        store = LocalStore(settings.feature_dir)
        keys = []
        for i in range(args.pool):
            y = chord_song(100 + i, 240.0, transpose=i % 3, bright=bool(i % 2))
            keys.append(store_analysis(analyse_song(y, embedder)[1], store=store))
        api = Api(settings)
        try:
            have = 0
            for size in sorted(args.sizes):
                seed_synthetic(repo, have, size, embedder.version, embedder.dim, analysis_keys=keys)
                have = size
                ids = [str(i) for i in repo.ids()]
                started = time.perf_counter()
                seed_edges(edges, ids, degree=args.degree, config=config, stamp=stamp)
                seed_s = time.perf_counter() - started
                started = time.perf_counter()
                api.wait_indexed(size)
                wait_graph(api, edges.version())
                load_s = time.perf_counter() - started
                samples = time_rank(api, ids, requests=args.requests, degree=args.degree, seed=size)
                index = VectorIndex(repo, embedder.version, lambda: embedder.calibration)
                linker = Linker(
                    songs=repo,
                    edges=edges,
                    index=index,
                    analyses=AnalysisCache(store, size=1),  # cold: every analysis is read
                    scorer=config,
                    model_version=embedder.version,
                )
                index.snapshot()
                row = {
                    "songs": size,
                    "edges_per_song": args.degree,
                    "edges_seed_s": round(seed_s, 1),
                    "api_load_s": round(load_s, 1),
                    "api_rss_mb": api_rss_mb(api),
                    "rank": percentiles(samples),
                    "update_s": time_updates(linker, ids, updates=args.updates, seed=size),
                }
                print(json.dumps(row), flush=True)
                out.append(row)
        finally:
            api.stop()
            db.stop()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
