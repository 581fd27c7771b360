"""``coverscope calibrate``: fit the fused scorer's scale, threshold and probability on real music.

Never on Covers80. The inputs are the real-recordings corpus (``coverscope dataset
debian-full``): ``tracks.jsonl`` (different real recordings; a shared ``group`` marks tracks
that may be versions of each other, and such pairs are left out) and ``positives.jsonl``
(a real track and a transformed version of it).

1. Every track is analysed once (cached, like the evaluation).
2. A seeded sample of pairs of different recordings gives each component's (mean, std): the
   common scale of ``model.score``.
3. On that scale the fused score of the same negatives sets the verdict threshold for the
   target false-positive rate, reported with its exact confidence interval.
4. A logistic curve of the fused score is fitted on the positives and the negatives, the
   classes weighted to the assumed cover prior: ``p`` is the chance that a pair is a cover
   when a ``prior`` share of the pairs people check are covers.

Everything is written into the scorer config with its provenance; the components, weights and
diffusion settings are left as they are (frozen choices, not fitted here).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.analysis import ANALYSIS_VERSION, SongAnalysis
from model.embed import Embedder
from model.score import (
    GROUPS,
    ScorerConfig,
    ThresholdFit,
    fit_probability,
    fit_scorer_stats,
    fuse,
    threshold_for_fpr,
)
from training.evaluation.cache import PairCache, analysis_folder, cached_analyses, pair_values

log = logging.getLogger(__name__)

DEFAULT_PRIOR = 0.5
"""Share of covers among the pairs people check (``p`` at even odds unless said otherwise)."""
CURVE_POINTS = 60


@dataclass(frozen=True)
class RealTrack:
    track_id: str
    path: Path
    group: str
    package: str
    duration: float


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_real_tracks(manifest: Path) -> list[RealTrack]:
    """The corpus's tracks; paths are relative to the manifest's folder."""
    root = manifest.parent
    return [
        RealTrack(
            track_id=str(r["track_id"]),
            path=root / str(r["path"]),
            group=str(r.get("group") or r["track_id"]),
            package=str(r.get("package", "")),
            duration=float(r.get("duration", 0.0)),
        )
        for r in read_jsonl(manifest)
    ]


def sample_tracks(tracks: list[RealTrack], *, count: int | None, seed: int) -> list[RealTrack]:
    """A seeded sample of ``count`` tracks in manifest order (all of them when ``None``):
    analysis costs per track, so the corpus can be larger than one calibration needs."""
    if count is None or count >= len(tracks):
        return tracks
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(tracks), size=count, replace=False))
    return [tracks[int(i)] for i in keep]


def negative_pairs(groups: list[str], *, count: int, seed: int) -> list[tuple[int, int]]:
    """A seeded sample of ``count`` index pairs (i < j) whose tracks are in different groups
    (all of them when there are fewer)."""
    n = len(groups)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if groups[i] != groups[j]]
    if count >= len(pairs):
        return pairs
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(pairs), size=count, replace=False)
    return sorted(pairs[int(k)] for k in chosen)


def operating_curve(
    positives: np.ndarray, negatives: np.ndarray, *, points: int = CURVE_POINTS
) -> list[list[float]]:
    """``[threshold, false-positive rate, true-positive rate]`` rows over the score range."""
    both = np.concatenate([positives, negatives])
    grid = np.quantile(both, np.linspace(0.0, 1.0, points))
    return [
        [round(float(t), 4), float(np.mean(negatives >= t)), float(np.mean(positives >= t))]
        for t in np.unique(grid)
    ]


def auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """ROC-AUC: the chance that a positive scores above a negative (ties count half)."""
    from sklearn.metrics import roc_auc_score

    labels = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives))])
    return float(roc_auc_score(labels, np.concatenate([positives, negatives])))


def calibrate(
    config: ScorerConfig,
    *,
    negatives: list[dict[str, float]],
    positives: list[dict[str, float]],
    target_fpr: float,
    prior: float,
) -> tuple[ScorerConfig, ThresholdFit, dict[str, Any]]:
    """The config with stats, threshold, probability fitted; the threshold fit; a report."""
    stats = fit_scorer_stats(negatives)
    scaled = dataclasses.replace(config, stats={**config.stats, **stats})
    neg = np.array([fuse(v, config=scaled).fused for v in negatives])
    pos = np.array([fuse(v, config=scaled).fused for v in positives])
    fit = threshold_for_fpr(neg, target_fpr)
    report: dict[str, Any] = {
        "true_positive_rate": float(np.mean(pos >= fit.threshold)) if len(pos) else None,
        "auc_fused": auc(pos, neg) if len(pos) else None,
        "auc_components": {
            c: auc(
                np.array([(p[c] - stats[c][0]) / stats[c][1] for p in positives]),
                np.array([(q[c] - stats[c][0]) / stats[c][1] for q in negatives]),
            )
            for c in stats
            if positives
        },
        "curve": operating_curve(pos, neg) if len(pos) else [],
    }
    probability = fit_probability(pos, neg, prior=prior) if len(pos) else config.probability
    fitted = dataclasses.replace(
        scaled, threshold=fit.threshold, probability=probability, version=config.version
    )
    return fitted, fit, report


def analyse_paths(
    sources: list[tuple[str, Path]], cache: Path, *, embedder: Embedder, workers: int, tag: str
) -> dict[str, SongAnalysis]:
    folder = analysis_folder(cache, embedder_version=embedder.version, tag=tag)
    analyses = cached_analyses(sources, folder, workers=workers)
    return {track_id: a for (track_id, _), a in zip(sources, analyses, strict=True)}


def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    config = ScorerConfig.load(args.config)
    embedder = Embedder.load(None)
    tracks = sample_tracks(load_real_tracks(args.manifest), count=args.tracks, seed=args.seed)
    cache = Path(args.cache) / "calibration"
    groups = list(GROUPS)

    sources = [(t.track_id, t.path) for t in tracks]
    analyses = analyse_paths(sources, cache, embedder=embedder, workers=args.workers, tag="real")
    ids = [t.track_id for t in tracks]
    chosen = negative_pairs([t.group for t in tracks], count=args.pairs, seed=args.seed)
    pair_cache = PairCache(cache / "pairs" / f"analysis-v{ANALYSIS_VERSION}-{embedder.version}")
    by_index = dict(enumerate(analyses[i] for i in ids))
    t0 = time.perf_counter()
    neg_values, _ = pair_values(
        by_index, by_index, chosen, groups=groups, ids=ids, cache=pair_cache, workers=args.workers
    )
    negatives_s = time.perf_counter() - t0

    pos_values: list[dict[str, float]] = []
    if args.positives:
        rows = list(read_jsonl(args.positives))
        root = args.positives.parent
        originals = [(f"pos:{r['track_id']}", root / r["original"]) for r in rows]
        versions = [(f"pos:{r['track_id']}~v", root / r["transformed"]) for r in rows]
        pos_analyses = analyse_paths(
            originals + versions, cache, embedder=embedder, workers=args.workers, tag="positives"
        )
        pos_ids = [s for s, _ in originals + versions]
        pos_index = dict(enumerate(pos_analyses[s] for s in pos_ids))
        half = len(originals)
        values, _ = pair_values(
            pos_index,
            pos_index,
            [(i, i + half) for i in range(half)],
            groups=groups,
            ids=pos_ids,
            cache=PairCache(cache / "pairs-positives"),
            workers=args.workers,
        )
        pos_values = list(values.values())

    fitted, fit, report = calibrate(
        config,
        negatives=list(neg_values.values()),
        positives=pos_values,
        target_fpr=args.fpr,
        prior=args.prior,
    )
    packages = sorted({t.package for t in tracks})
    provenance = {
        "status": "fitted",
        "fitted_on": "real non-cover pairs of different recordings (Debian music packages)",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "command": "coverscope calibrate --manifest DATA/real/tracks.jsonl "
        f"--positives DATA/real/positives/positives.jsonl --tracks {args.tracks} "
        f"--pairs {args.pairs} "
        f"--seed {args.seed} --fpr {args.fpr} --prior {args.prior}",
        "tracks": len(tracks),
        "packages": len(packages),
        "hours": round(sum(t.duration for t in tracks) / 3600.0, 2),
        "negatives": fit.negatives,
        "positives": len(pos_values),
        "positives_kind": "a real track against a transformed copy (key, tempo, colour, codec)",
        "target_fpr": fit.target_fpr,
        "threshold_fit": fit.to_dict(),
        "true_positive_rate_on_positives": report["true_positive_rate"],
        "auc_on_calibration": report["auc_fused"],
        "auc_components_on_calibration": report["auc_components"],
        "prior": args.prior,
        "analysis_version": ANALYSIS_VERSION,
        "embedding_model": embedder.version,
        "covers80_used": False,
    }
    fitted = dataclasses.replace(fitted, provenance=provenance)
    out = fitted.to_dict()
    out["curve"] = report["curve"]
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    summary = {
        "threshold": round(fit.threshold, 4),
        "fpr": fit.fpr,
        "fpr_interval": fit.interval,
        "negatives": fit.negatives,
        "positives": len(pos_values),
        "tpr_on_positives": report["true_positive_rate"],
        "auc": report["auc_fused"],
        "negatives_s": round(negatives_s, 1),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary))
    return 0
