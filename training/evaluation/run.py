"""``coverscope evaluate covers80``: every track as a query against all others.

Every method is a setting of the one scoring seam (``model.score``): ``fusion`` fuses the
components of the shipped scorer config; ``embedding``, ``qmax`` and ``hybrid`` (Qmax +
embedding) fuse only those components, on the same normalised scale. ``--diffuse`` re-ranks
with late fusion over the collection (``model.rerank.diffuse``); verdicts (``at_threshold``)
always come from the pairwise fused score at the config's threshold.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from model.analysis import ANALYSIS_VERSION
from model.embed import Embedder
from model.rerank import diffuse
from model.score import ScorerConfig, fuse, groups_for
from training.evaluation.cache import PairCache, analysis_folder, cached_analyses, pair_values
from training.evaluation.covers80 import Variant, covers80_root, load_tracks
from training.metrics import at_threshold, pair_labels, retrieval_scores, verification

log = logging.getLogger(__name__)

METHODS: dict[str, tuple[str, ...] | None] = {
    "fusion": None,  # the config's components
    "embedding": ("embedding",),
    "qmax": ("qmax",),
    "hybrid": ("qmax", "embedding"),
    "early": ("early",),
    "hpcp": ("hpcp",),
    "mfcc": ("mfcc",),
    "ssm": ("ssm",),
}


def method_config(config: ScorerConfig, method: str) -> ScorerConfig:
    """The scorer config a method evaluates."""
    components = METHODS[method]
    return config if components is None else config.with_components(components)


def score_matrices(
    values: dict[tuple[int, int], dict[str, float]],
    *,
    queries: np.ndarray,
    n: int,
    config: ScorerConfig,
    symmetric: bool,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The (m, n) fused scores of each query row against all tracks (diagonal NaN) and each
    raw component as an (m, n) matrix, from pair values keyed (query, ref) or, when
    ``symmetric``, (min, max)."""
    fused = np.full((len(queries), n), np.nan)
    names = sorted({c for v in values.values() for c in v})
    raw = {c: np.full((len(queries), n), np.nan) for c in names}
    for row, q in enumerate(queries):
        for j in range(n):
            if j == q:
                continue
            key = (min(int(q), j), max(int(q), j)) if symmetric else (int(q), j)
            fused[row, j] = fuse(values[key], config=config).fused
            for c in names:
                raw[c][row, j] = values[key][c]
    return fused, raw


def main(args: argparse.Namespace) -> int:
    if args.method == "library":
        from training.evaluation.library import main as library_main

        return library_main(args)
    if getattr(args, "distractors", 0):
        raise SystemExit("--distractors needs --method library")
    started = time.perf_counter()
    timings: dict[str, float] = {}
    tracks = load_tracks(covers80_root(args.data), limit_works=args.limit_works)
    labels = np.array([t.work_id for t in tracks])
    n = len(tracks)
    variant = Variant(args.pitch_shift, args.time_stretch)
    queries = np.arange(n)
    if args.queries and args.queries < n:
        queries = np.unique(np.linspace(0, n - 1, args.queries).round().astype(int))
    config = method_config(ScorerConfig.load(args.config), args.method)
    if getattr(args, "diffuse_with", None):
        # Ablation: diffuse other components than the config's (never a shipped choice).
        chosen = [c.strip() for c in args.diffuse_with.split(",") if c.strip()]
        config = dataclasses.replace(config, diffusion={**config.diffusion, "components": chosen})
    embedder = Embedder.load(args.model)
    model = str(args.model) if args.model else None
    cache = Path(args.cache) / "covers80"

    t0 = time.perf_counter()
    sources = [(t.track_id, t.path) for t in tracks]
    ref_folder = analysis_folder(cache, embedder_version=embedder.version, tag="orig")
    refs = dict(enumerate(cached_analyses(sources, ref_folder, model=model, workers=args.workers)))
    symmetric = variant.is_identity
    if symmetric:
        query_analyses = refs
    else:
        folder = analysis_folder(cache, embedder_version=embedder.version, tag=variant.tag)
        chosen = [sources[int(q)] for q in queries]
        transformed = cached_analyses(
            chosen,
            folder,
            pitch_shift=variant.pitch_shift,
            time_stretch=variant.time_stretch,
            model=model,
            workers=args.workers,
        )
        query_analyses = {int(q): a for q, a in zip(queries, transformed, strict=True)}
    timings["analysis_s"] = time.perf_counter() - t0

    groups = groups_for(config.components)
    if args.diffuse:
        groups = groups_for([*config.components, *config.diffusion.get("components", [])])
    pairs = {
        (min(int(q), j), max(int(q), j)) if symmetric else (int(q), j)
        for q in queries
        for j in range(n)
        if j != q
    }
    t0 = time.perf_counter()
    values, spent = pair_values(
        query_analyses,
        refs,
        sorted(pairs),
        groups=groups,
        ids=[t.track_id for t in tracks],
        cache=PairCache(
            cache / "pairs" / f"analysis-v{ANALYSIS_VERSION}-{embedder.version}" / variant.tag
        ),
        workers=args.workers,
    )
    timings["pairs_s"] = time.perf_counter() - t0
    for key, value in spent.items():
        timings[f"{key}_s" if not key.endswith("_computed") else key] = value

    t0 = time.perf_counter()
    fused, raw = score_matrices(values, queries=queries, n=n, config=config, symmetric=symmetric)
    full = len(queries) == n
    result: dict[str, Any] = {
        "dataset": "covers80",
        "tracks": n,
        "works": len(set(labels.tolist())),
        "queries": len(queries),
        "method": args.method,
        "diffuse": bool(args.diffuse),
        "components": list(config.components),
        "scorer_version": config.version,
        "scorer_provenance": config.provenance,
        "model_version": embedder.version,
        "query_variant": {"pitch_shift": variant.pitch_shift, "time_stretch": variant.time_stretch},
    }
    ranking = -fused
    if args.diffuse:
        if not full or not symmetric:
            raise SystemExit("--diffuse needs every track as a query and no query transformation")
        ranking = -diffuse(raw, config=config).astype(np.float64)
        result["diffusion"] = config.diffusion
    result.update(retrieval_scores(ranking, labels, queries).to_dict())
    keys = ["MAP", "MRR", "MR1", "P@10"]
    if full:
        pair_d, pair_y = pair_labels(ranking, labels)
        ver = verification(pair_d, pair_y)
        result["ROC-AUC"], result["PR-AP"] = ver.roc_auc, ver.pr_ap
        result["curves"] = {"roc": ver.roc, "pr": ver.pr}
        keys += ["ROC-AUC", "PR-AP"]
        fused_d, _ = pair_labels(-np.nan_to_num(fused, nan=0.0), labels)
        verdict = at_threshold(fused_d, pair_y, -config.threshold)
        verdict["threshold"] = config.threshold
        result["at_threshold"] = verdict
        result["pairs"] = {"cover": int(pair_y.sum()), "non_cover": int((1 - pair_y).sum())}
    timings["metrics_s"] = time.perf_counter() - t0
    timings["wall_s"] = time.perf_counter() - started
    result["timings"] = {k: round(v, 3) for k, v in timings.items()}

    name = f"covers80-{args.method}" + ("-diffuse" if args.diffuse else "")
    if args.diffuse and getattr(args, "diffuse_with", None):
        name += "-" + "+".join(config.diffusion["components"])
    name += "" if variant.is_identity else f"-{variant.tag}"
    print(json.dumps({"method": name, **{k: round(result[k], 4) for k in keys}}))
    if full and variant.is_identity and args.plots and args.limit_works is None:
        from training.evaluation.plots import plot_curves

        result["plots"] = plot_curves(ver.roc, ver.pr, Path(args.plots), name, result)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0
