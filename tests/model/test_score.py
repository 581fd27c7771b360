"""The fused scorer: the product's answer on renditions, and its calibration helpers."""

import json
import math

import numpy as np
import pytest

from model.analysis import SongAnalysis, analyse
from model.embed import Embedder
from model.qmax import NO_ALIGNMENT_DISTANCE
from model.score import (
    COMPONENTS,
    DEFAULT_CONFIG,
    ScorerConfig,
    fit_probability,
    fit_scorer_stats,
    fuse,
    rate_interval,
    score_pair,
    threshold_for_fpr,
)
from tests.renditions import tune_rendition_stranger


@pytest.fixture(scope="module")
def config() -> ScorerConfig:
    return ScorerConfig.load()


@pytest.fixture(scope="module")
def songs() -> dict[str, SongAnalysis]:
    embedder = Embedder.load()
    # A three semitones up, 12 % faster, brighter timbre, another performance; B a stranger.
    signals = dict(zip(("a", "a_cover", "b"), tune_rendition_stranger(), strict=True))
    return {k: analyse(y, embedder=embedder) for k, y in signals.items()}


def test_a_reorchestrated_transposed_rendition_is_a_cover(
    songs: dict[str, SongAnalysis], config: ScorerConfig
) -> None:
    cover = score_pair(songs["a"], songs["a_cover"], config=config, explain=True)
    quick = score_pair(songs["a"], songs["a_cover"], config=config)
    assert cover.is_cover and cover.probability > 0.5
    assert cover.qmax is not None and cover.qmax.key_shift == -3
    assert quick.fused == cover.fused  # explaining does not change the score


def test_a_different_tune_is_not_a_cover_and_scores_lower(
    songs: dict[str, SongAnalysis], config: ScorerConfig
) -> None:
    cover = score_pair(songs["a"], songs["a_cover"], config=config)
    for a, b in (("a", "b"), ("a_cover", "b")):
        stranger = score_pair(songs[a], songs[b], config=config)
        assert not stranger.is_cover and stranger.probability < 0.5
        assert stranger.fused < cover.fused


def test_nothing_to_align_gives_a_finite_verdict_without_the_missing_evidence(
    songs: dict[str, SongAnalysis], config: ScorerConfig
) -> None:
    silence = analyse(np.zeros(22050 * 8, dtype=np.float32), embedder=Embedder.load())
    everything = config.with_components(COMPONENTS)
    score = score_pair(silence, songs["a"], config=everything)
    blocks = {"early", "hpcp", "mfcc", "ssm"}  # silence has no beats: no block evidence at all
    assert all(math.isnan(score.components[c]) for c in blocks)
    assert set(score.normalised) == {"qmax", "embedding"}
    assert all(math.isfinite(score.components[c]) for c in ("qmax", "embedding"))
    assert score.components["qmax"] == pytest.approx(-math.log(NO_ALIGNMENT_DISTANCE))
    assert not score.is_cover and math.isfinite(score.fused)


def test_fuse_is_the_weighted_mean_of_z_scores() -> None:
    config = ScorerConfig.from_dict(
        {
            "version": "t",
            "components": ["qmax", "embedding"],
            "weights": {"qmax": 3.0, "embedding": 1.0},
            "stats": {"qmax": [1.0, 2.0], "embedding": [-1.0, 0.5]},
            "threshold": 1.0,
            "probability": {"slope": 2.0, "midpoint": 1.0},
        }
    )
    score = fuse({"qmax": 5.0, "embedding": -0.5, "early": 9.0}, config=config)
    assert score.normalised == {"qmax": 2.0, "embedding": 1.0}
    assert score.fused == pytest.approx((3 * 2.0 + 1.0) / 4)
    assert score.is_cover
    assert score.probability == pytest.approx(1 / (1 + math.exp(-2.0 * (1.75 - 1.0))))


def test_the_shipped_config_is_complete_and_says_where_it_comes_from() -> None:
    raw = json.loads(DEFAULT_CONFIG.read_text())
    config = ScorerConfig.from_dict(raw)
    assert set(config.stats) == set(COMPONENTS)
    assert all(std > 0 for _, std in config.stats.values())
    assert raw["provenance"]["status"] in {"provisional", "fitted"}
    assert set(config.diffusion["components"]) <= set(COMPONENTS)


def test_stats_are_mean_and_sample_std_per_component() -> None:
    pairs = [{"qmax": 1.0, "early": 2.0}, {"qmax": 3.0}, {"qmax": float("nan"), "early": 4.0}]
    stats = fit_scorer_stats(pairs)
    assert stats["qmax"] == pytest.approx((2.0, math.sqrt(2.0)))
    assert stats["early"] == pytest.approx((3.0, math.sqrt(2.0)))
    assert "embedding" not in stats


@pytest.mark.parametrize("seed", range(4))
def test_threshold_for_fpr_against_counting(seed: int) -> None:
    rng = np.random.default_rng(seed)
    negatives = rng.normal(size=int(rng.integers(200, 3000)))
    fit = threshold_for_fpr(negatives, fpr=0.01)
    false_positives = int(np.sum(negatives >= fit.threshold))
    assert fit.false_positives == false_positives
    assert false_positives <= 0.01 * negatives.size
    # The next lower negative would break the target: the threshold is as low as allowed.
    below = np.sort(negatives)[::-1][false_positives]
    assert np.sum(negatives >= below) > 0.01 * negatives.size
    low, high = fit.interval
    assert low <= fit.fpr <= high


def test_rate_intervals_against_closed_forms() -> None:
    # Clopper-Pearson with no events: the upper bound is 1 - (alpha / 2) ** (1 / n).
    assert rate_interval(0, 100) == pytest.approx((0.0, 1 - 0.025 ** (1 / 100)))
    # Wilson, k = 5 of n = 100, 95 %: the textbook interval.
    low, high = rate_interval(5, 100, method="wilson")
    assert (low, high) == pytest.approx((0.0215, 0.1118), abs=5e-4)
    low, high = rate_interval(5, 100)
    assert low < 0.05 < high and (low, high) == pytest.approx((0.0164, 0.1128), abs=5e-4)


def test_probability_rises_with_the_score_and_respects_the_prior() -> None:
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(4.0, 1.0, 300), rng.normal(0.0, 1.0, 3000)
    even = fit_probability(pos, neg, prior=0.5)
    assert even["slope"] > 0 and 1.5 < even["midpoint"] < 2.5  # halfway between the classes
    rare = fit_probability(pos, neg, prior=0.01)
    assert rare["midpoint"] > even["midpoint"]  # rarer covers need more evidence
