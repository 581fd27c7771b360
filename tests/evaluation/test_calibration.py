"""Calibration on real non-covers: pair sampling, the fitted scale, threshold and curve."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from model.score import ScorerConfig
from training.calibration import (
    RealTrack,
    auc,
    calibrate,
    negative_pairs,
    operating_curve,
    sample_tracks,
)


def test_negative_pairs_never_pair_a_group_with_itself() -> None:
    groups = ["a", "a", "b", "c", "c", "d"]
    every = negative_pairs(groups, count=10_000, seed=0)
    assert every == [
        (i, j) for i, j in itertools.combinations(range(6), 2) if groups[i] != groups[j]
    ]
    sample = negative_pairs(groups, count=5, seed=3)
    assert len(sample) == 5 and set(sample) <= set(every)
    assert sample == negative_pairs(groups, count=5, seed=3)


def test_track_sample_is_seeded_and_keeps_order() -> None:
    tracks = [RealTrack(str(i), Path(f"{i}.ogg"), str(i), "p", 60.0) for i in range(50)]
    chosen = sample_tracks(tracks, count=10, seed=1)
    assert chosen == sample_tracks(tracks, count=10, seed=1)
    assert [int(t.track_id) for t in chosen] == sorted(int(t.track_id) for t in chosen)
    assert sample_tracks(tracks, count=None, seed=1) == tracks


def test_auc_matches_counting_every_pair() -> None:
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 1.0, 40), rng.normal(0.0, 1.0, 60)
    neg[:5] = pos[:5]  # ties count half
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    assert np.isclose(auc(pos, neg), wins / (len(pos) * len(neg)))


def test_calibration_sets_scale_threshold_and_curve_from_the_negatives() -> None:
    rng = np.random.default_rng(1)
    config = ScorerConfig.load().with_components(["qmax", "early"])

    def pairs(shift: float, n: int) -> list[dict[str, float]]:
        return [
            {"qmax": float(q), "early": float(e)}
            for q, e in zip(
                rng.normal(-1 + shift, 0.5, n), rng.normal(3 + 4 * shift, 2.0, n), strict=True
            )
        ]

    negatives, positives = pairs(0.0, 5000), pairs(2.0, 200)
    fitted, fit, report = calibrate(
        config, negatives=negatives, positives=positives, target_fpr=0.002, prior=0.5
    )
    # On the fitted scale a typical non-cover pair sits at 0 with unit spread per component.
    assert abs(fitted.stats["qmax"][0] + 1.0) < 0.05 and abs(fitted.stats["qmax"][1] - 0.5) < 0.05
    assert fit.negatives == 5000 and fit.false_positives <= 10 and fit.fpr <= 0.002
    assert fit.interval[0] <= fit.fpr <= fit.interval[1]
    assert fitted.threshold == fit.threshold
    assert report["true_positive_rate"] > 0.5 and report["auc_fused"] > 0.95
    fprs = [row[1] for row in report["curve"]]
    assert fprs == sorted(fprs, reverse=True)  # thresholds rise, false alarms fall


def test_operating_curve_rows_are_threshold_fpr_tpr() -> None:
    curve = operating_curve(np.array([2.0, 3.0]), np.array([0.0, 1.0, 2.5]), points=5)
    for threshold, fpr, tpr in curve:
        assert fpr == np.mean(np.array([0.0, 1.0, 2.5]) >= threshold)
        assert tpr == np.mean(np.array([2.0, 3.0]) >= threshold)
