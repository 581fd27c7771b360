"""``coverscope evaluate covers80 --method library``: the product's library path, simulated.

Songs are added one at a time in a seeded order (Covers80 and, with ``--distractors N``, N real
recordings that are no cover of anything in it). Each added song gets its first-stage
candidates among the songs already there (``model.first_stage``: embedding shortlist re-ordered
by the coarse Qmax and the embedding), each candidate pair is fused-scored (``model.score.fuse`` of its raw
components, read from the pair caches where an earlier run computed them) and kept both
directions in the graph (``model.library.LibraryGraph``), then up to ``EXPANSION`` confirmed
versions of the songs it is confirmed with (``model.library.expansion``), as the backend's
``Linker`` does. Every Covers80 track then queries the
library as ``/api/rank`` does (``model.library.rank_library``: diffused neighbours, then the rest
by embedding distance). The only departure from the API is caching: coarse distances and pair
components are computed in parallel up front and looked up, which changes no value.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.analysis import ANALYSIS_VERSION, SongAnalysis
from model.embed import Embedder
from model.first_stage import (
    CANDIDATES,
    SHORTLIST,
    candidates,
    coarse_distance,
    embedding_distances,
    order_shortlist,
    shortlist_indices,
    shortlist_key,
)
from model.library import LibraryGraph, cover_groups, expansion, rank_library
from model.score import GROUPS, ScorerConfig, fuse, groups_for
from training.calibration import load_real_tracks
from training.evaluation.cache import PairCache, analysis_folder, cached_analyses, pair_values
from training.evaluation.coarse import CoarseDistances
from training.evaluation.covers80 import covers80_root, load_tracks
from training.metrics import recall_at_k, retrieval_scores

KS = (10, 20, 50)


@dataclass(frozen=True)
class Library:
    """Every song of the simulated library: ids, work labels (a distractor is its own work),
    analyses, and how many of them (the first ``queries``) are Covers80 queries."""

    ids: list[str]
    labels: np.ndarray
    songs: dict[str, SongAnalysis]
    queries: int


def distractor_sources(manifest: Path, *, count: int, cached: set[str]) -> list[tuple[str, Path]]:
    """``count`` real recordings (track id, path): those already analysed (``cached``) first,
    then the rest, each in manifest order."""
    tracks = load_real_tracks(manifest)
    ordered = [t for t in tracks if t.track_id in cached]
    ordered += [t for t in tracks if t.track_id not in cached]
    if count > len(ordered):
        raise SystemExit(f"--distractors {count}: the corpus has {len(ordered)} recordings")
    return [(t.track_id, t.path) for t in ordered[:count]]


def load_library(args: argparse.Namespace, embedder: Embedder) -> Library:
    tracks = load_tracks(covers80_root(args.data), limit_works=args.limit_works)
    cache = Path(args.cache)
    model = str(args.model) if args.model else None
    folder = analysis_folder(cache / "covers80", embedder_version=embedder.version, tag="orig")
    sources = [(t.track_id, t.path) for t in tracks]
    analyses = cached_analyses(sources, folder, model=model, workers=args.workers)
    ids = [t.track_id for t in tracks]
    labels = [t.work_id for t in tracks]
    songs = dict(zip(ids, analyses, strict=True))
    if args.distractors:
        if args.real_manifest is None:
            raise SystemExit("--distractors needs --real-manifest (the real tracks.jsonl)")
        real = analysis_folder(cache / "calibration", embedder_version=embedder.version, tag="real")
        cached = {p.stem for p in real.glob("*.npz")} if real.exists() else set()
        chosen = distractor_sources(args.real_manifest, count=args.distractors, cached=cached)
        more = cached_analyses(chosen, real, model=model, workers=args.workers)
        for (track_id, _), analysis in zip(chosen, more, strict=True):
            ids.append(track_id)
            labels.append(f"distractor:{track_id}")
            songs[track_id] = analysis
    return Library(ids=ids, labels=np.array(labels), songs=songs, queries=len(tracks))


def known_pairs(
    cache: Path, embedder: Embedder
) -> dict[str, dict[tuple[str, str], dict[str, float]]]:
    """Raw pair components already computed by earlier runs, per group, both orientations:
    Covers80's, calibration's and this evaluation's own cache."""
    tag = f"analysis-v{ANALYSIS_VERSION}-{embedder.version}"
    folders = [
        cache / "covers80" / "pairs" / tag / "orig",
        cache / "calibration" / "pairs" / tag,
        library_cache(cache, embedder).folder,
    ]
    known: dict[str, dict[tuple[str, str], dict[str, float]]] = {g: {} for g in GROUPS}
    for folder in folders:
        for group in GROUPS:
            for (a, b), values in PairCache(folder).load(group).items():
                known[group][(a, b)] = known[group][(b, a)] = values
    return known


def library_cache(cache: Path, embedder: Embedder) -> PairCache:
    return PairCache(cache / "pairs-library" / f"analysis-v{ANALYSIS_VERSION}-{embedder.version}")


def main(args: argparse.Namespace) -> int:
    if args.pitch_shift or args.time_stretch != 1.0 or args.queries or args.diffuse:
        raise SystemExit(
            "--method library queries every track untransformed and always diffuses its "
            "neighbourhood: --pitch-shift, --time-stretch, --queries and --diffuse do not apply"
        )
    started = time.perf_counter()
    timings: dict[str, float] = {}
    config = ScorerConfig.load(args.config)
    embedder = Embedder.load(args.model)
    cache = Path(args.cache)
    shortlist, count = args.shortlist or SHORTLIST, args.candidates or CANDIDATES

    t0 = time.perf_counter()
    library = load_library(args, embedder)
    songs, ids = library.songs, library.ids
    timings["analysis_s"] = time.perf_counter() - t0
    order = [ids[int(i)] for i in np.random.default_rng(args.seed).permutation(len(ids))]
    coarse = CoarseDistances(
        songs,
        PairCache(cache / "pairs-library" / f"analysis-v{ANALYSIS_VERSION}"),
        workers=args.workers,
    )
    id_of = {id(a): s for s, a in songs.items()}

    def cached_coarse(a: SongAnalysis, b: SongAnalysis) -> float:
        return coarse.get(id_of[id(a)], id_of[id(b)])

    # 1. First stage at ingest: each song against the songs added before it.
    t0 = time.perf_counter()
    emb_rows = {
        s: embedding_distances(songs[s], [songs[o] for o in order[:p]]) for p, s in enumerate(order)
    }
    coarse.ensure(
        (s, order[int(i)])
        for p, s in enumerate(order)
        for i in shortlist_indices(emb_rows[s], n=p, size=shortlist)
    )
    edges_wanted: dict[str, list[str]] = {}
    for p, s in enumerate(order):
        earlier = [songs[o] for o in order[:p]]
        chosen = candidates(
            songs[s],
            earlier,
            embedding_distances=emb_rows[s],
            shortlist=shortlist,
            count=count,
            distance=cached_coarse,
        )
        edges_wanted[s] = [order[int(i)] for i in chosen]
    timings["first_stage_s"] = time.perf_counter() - t0

    # 2. Fused scores of every candidate pair (cached components, the rest computed).
    t0 = time.perf_counter()
    groups = groups_for([*config.components, *config.diffusion.get("components", [])])
    known = known_pairs(cache, embedder)
    index = {s: i for i, s in enumerate(ids)}
    by_index = {i: songs[s] for s, i in index.items()}
    computed: dict[tuple[int, int], dict[str, float]] = {}

    def compute(pairs: Iterable[tuple[str, str]], *, workers: int) -> dict[str, float]:
        """Compute (and cache) the components of the ``pairs`` no cache holds yet, into
        ``computed``; returns the seconds spent per group."""
        todo = sorted(
            {(index[a], index[b]) for a, b in pairs if any((a, b) not in known[g] for g in groups)}
        )
        if not todo:
            return {}
        values, spent = pair_values(
            by_index,
            by_index,
            todo,
            groups=groups,
            ids=ids,
            cache=library_cache(cache, embedder),
            workers=workers,
        )
        computed.update(values)
        return spent

    wanted = [(s, o) for s, others in edges_wanted.items() for o in others]
    spent = compute(wanted, workers=args.workers)

    def components(a: str, b: str) -> dict[str, float]:
        values: dict[str, float] = {}
        for g in groups:
            values.update(known[g].get((a, b)) or {})
        values.update(computed.get((index[a], index[b]), {}))
        return values

    timings["pair_scoring_s"] = time.perf_counter() - t0
    timings["pairs_scored"] = float(sum(len(v) for v in edges_wanted.values()))
    timings["pairs_computed"] = float(len(computed))
    timings.update({f"{k}_s": v for k, v in spent.items() if not k.endswith("_computed")})

    # 3. The graph, built in ingest order: each song's candidates, then (as the Linker does)
    # the confirmed versions of its confirmed versions, scored when they are reached.
    t0 = time.perf_counter()
    graph = LibraryGraph()
    expanded = 0

    def fused_edges(song: str) -> dict[str, float]:
        return {other: edge.fused for other, edge in graph.neighbours(song).items()}

    for s in order:
        graph.add(s, [(o, fuse(components(s, o), config=config)) for o in edges_wanted[s]])
        further = expansion(fused_edges(s), fused_edges, song=s, threshold=config.threshold)
        compute([(s, o) for o in further], workers=1)
        graph.add(s, [(o, fuse(components(s, o), config=config)) for o in further])
        expanded += len(further)
    timings["graph_s"] = time.perf_counter() - t0
    timings["pairs_expanded"] = float(expanded)

    # 4. Every Covers80 track queries the complete library.
    t0 = time.perf_counter()
    queries = np.arange(library.queries)
    all_songs = [songs[s] for s in ids]
    emb_full = np.stack([embedding_distances(songs[ids[q]], all_songs) for q in queries])
    for row, q in enumerate(queries):
        emb_full[row, q] = np.inf
    ranks = np.full((len(queries), len(ids)), np.inf)
    undiffused = np.full((len(queries), len(ids)), np.inf)  # ablation: no diffusion
    for row, q in enumerate(queries):
        by_embedding = [ids[int(i)] for i in np.argsort(emb_full[row], kind="stable")]
        ranking = rank_library(ids[q], graph, config=config, first_stage=by_embedding)
        ranks[row, [index[s] for s in ranking]] = np.arange(len(ranking))
        edges = graph.neighbours(ids[q])
        by_fused = sorted(edges, key=lambda s: -edges[s].fused)
        plain = by_fused + [s for s in by_embedding if s not in edges and s != ids[q]]
        undiffused[row, [index[s] for s in plain]] = np.arange(len(plain))
    timings["ranking_s"] = time.perf_counter() - t0
    result: dict[str, Any] = {
        "dataset": "covers80",
        "method": "library",
        "tracks": library.queries,
        "distractors": len(ids) - library.queries,
        "library_songs": len(ids),
        "seed": args.seed,
        "shortlist": shortlist,
        "candidates": count,
        "scorer_version": config.version,
        "diffusion": config.diffusion,
        "model_version": embedder.version,
        **retrieval_scores(ranks, library.labels, queries).to_dict(),
        "neighbours_by_fused_score": retrieval_scores(
            undiffused, library.labels, queries
        ).to_dict(),
    }

    # First stage against the complete library, and the graph's own recall.
    t0 = time.perf_counter()
    coarse.ensure(
        (ids[q], ids[int(i)])
        for row, q in enumerate(queries)
        for i in shortlist_indices(emb_full[row], n=len(ids), size=shortlist + 1)
        if int(i) != q
    )
    # The shipped order (coarse + embedding over the shortlist) and, as an ablation, the
    # shortlist ordered by the coarse distance alone; the rest by embedding distance.
    staged = {
        "shipped": np.full((len(queries), len(ids)), np.inf),
        "shortlist_coarse_only": np.full((len(queries), len(ids)), np.inf),
    }
    for row, q in enumerate(queries):
        chosen = np.array(
            [i for i in shortlist_indices(emb_full[row], n=len(ids), size=shortlist + 1) if i != q]
        )[:shortlist]
        raw = np.array([coarse.get(ids[q], ids[int(i)]) for i in chosen])
        for name, embedding in (
            ("shipped", emb_full[row, chosen]),
            ("shortlist_coarse_only", None),
        ):
            head = order_shortlist(chosen, shortlist_key(raw, embedding), count=len(chosen))
            taken = set(head.tolist())
            rest = [int(i) for i in np.argsort(emb_full[row], kind="stable") if int(i) not in taken]
            full = np.concatenate([head, rest]).astype(int)
            staged[name][row, full] = np.arange(len(full))
            staged[name][row, q] = np.inf
    timings["first_stage_eval_s"] = time.perf_counter() - t0
    result["first_stage"] = {
        name: {
            **retrieval_scores(ranking, library.labels, queries).to_dict(),
            **_recall(ranking, library.labels, queries),
        }
        for name, ranking in (("embedding", emb_full), *staged.items())
    }
    result["first_stage"]["graph_recall"] = graph_recall(graph, ids, library.labels, queries)
    if args.coarse_all:
        coarse.ensure((ids[q], s) for q in queries for s in ids if s != ids[q])
        alone = np.array(
            [[coarse.get(ids[q], s) if s != ids[q] else np.inf for s in ids] for q in queries]
        )
        result["first_stage"]["coarse"] = {
            **retrieval_scores(alone, library.labels, queries).to_dict(),
            **_recall(alone, library.labels, queries),
        }
    result["first_stage"]["coarse_cpu_s_per_pair"] = coarse_cost(songs, ids, seed=args.seed)
    result["first_stage"]["coarse_wall_s_per_pair_computed"] = (
        round(coarse.seconds / coarse.computed, 5) if coarse.computed else None
    )
    result["first_stage"]["coarse_pairs_computed"] = coarse.computed

    groups_found = cover_groups(graph, threshold=config.threshold)
    result["cover_groups"] = group_summary(groups_found, ids, library.labels)
    timings["wall_s"] = time.perf_counter() - started
    result["timings"] = {k: round(v, 3) for k, v in timings.items()}

    keys = ["MAP", "MRR", "MR1", "P@10"]
    summary = {k: round(result[k], 4) for k in keys}
    for k in KS:
        summary[f"recall@{k}"] = round(result["first_stage"]["shipped"][f"recall@{k}"], 4)
    summary["largest_group"] = result["cover_groups"]["largest"]
    print(json.dumps({"method": f"library+{result['distractors']}", **summary}))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def coarse_cost(
    songs: dict[str, SongAnalysis], ids: list[str], *, seed: int, pairs: int = 100
) -> float:
    """CPU seconds per coarse distance (both directions), over a seeded sample of pairs: CPU
    time, not wall time, so that other work on the machine does not inflate it (run with
    ``OMP_NUM_THREADS=1`` so that it is one core's time)."""
    rng = np.random.default_rng(seed)
    sample = [rng.choice(len(ids), size=2, replace=False) for _ in range(pairs)]
    t0 = time.process_time()
    for i, j in sample:
        coarse_distance(songs[ids[int(i)]], songs[ids[int(j)]])
    return round((time.process_time() - t0) / pairs, 5)


def _recall(distances: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    return {f"recall@{k}": v for k, v in recall_at_k(distances, labels, queries, ks=KS).items()}


def graph_recall(
    graph: LibraryGraph, ids: list[str], labels: np.ndarray, queries: np.ndarray
) -> float:
    """Share of (query, true version) pairs joined by an edge of the graph."""
    found = total = 0
    for q in queries:
        neighbours = graph.neighbours(ids[q])
        for j, s in enumerate(ids):
            if j != q and labels[j] == labels[q]:
                total += 1
                found += s in neighbours
    return found / total if total else float("nan")


def group_summary(groups: list[list[str]], ids: list[str], labels: np.ndarray) -> dict[str, Any]:
    """Sizes of the cover groups and how pure they are. A distractor is its own work, but two
    distractors may truly be versions of each other (variations of one game theme), so pair
    precision counts only pairs with a Covers80 song in them."""
    label = dict(zip(ids, labels.tolist(), strict=True))

    def is_distractor(song: str) -> bool:
        return str(label[song]).startswith("distractor:")

    pure = [g for g in groups if len({label[s] for s in g}) == 1]
    mixed = [g for g in groups if any(map(is_distractor, g)) and not all(map(is_distractor, g))]
    pairs = [
        (a, b)
        for g in groups
        for i, a in enumerate(g)
        for b in g[i + 1 :]
        if not (is_distractor(a) and is_distractor(b))
    ]
    return {
        "count": len(groups),
        "largest": max((len(g) for g in groups), default=0),
        "sizes": sorted((len(g) for g in groups), reverse=True),
        "pure": len(pure),
        "with_distractors": sum(1 for g in groups if any(map(is_distractor, g))),
        "covers80_with_distractors": len(mixed),
        "distractors_only": sum(1 for g in groups if all(map(is_distractor, g))),
        "pair_precision": (
            sum(label[a] == label[b] for a, b in pairs) / len(pairs) if pairs else None
        ),
    }
