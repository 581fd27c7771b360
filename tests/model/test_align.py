"""Alignment: covers align closer than strangers, key shifts are found, passages are traced."""

import numpy as np
import pytest

from model.align import Match, align, trace_matches
from model.hpcp import hpcp
from model.qmax import NO_ALIGNMENT_DISTANCE, optimal_transposition
from tests.signals import tune


@pytest.fixture(scope="module")
def songs() -> dict[str, np.ndarray]:
    return {
        "a": hpcp(tune(0, seconds=40.0, seed=1)),
        "a_up3": hpcp(tune(3, seconds=40.0, seed=1)),
        "b": hpcp(tune(0, seconds=40.0, seed=99)),
    }


def test_transposed_cover_is_closer_than_another_tune(songs: dict[str, np.ndarray]) -> None:
    cover = align(songs["a"], songs["a_up3"])
    stranger = align(songs["a"], songs["b"])
    assert cover.distance < stranger.distance


def test_key_shift_brings_b_back_to_a(songs: dict[str, np.ndarray]) -> None:
    # B is 3 semitones above A: it must move down 3 to sound in A's key.
    assert align(songs["a"], songs["a_up3"]).key_shift == -3
    assert align(songs["a_up3"], songs["a"]).key_shift == 3


def test_matches_are_time_ranges_inside_both_songs(songs: dict[str, np.ndarray]) -> None:
    result = align(songs["a"], songs["a_up3"])
    assert result.matches
    best = result.matches[0]
    assert 0 <= best.a_start < best.a_end <= 41.0
    assert 0 <= best.b_start < best.b_end <= 41.0
    assert best.a_end - best.a_start > 10.0
    assert result.cross_similarity is not None and result.cross_similarity.ndim == 2


def test_explain_false_keeps_the_distance(songs: dict[str, np.ndarray]) -> None:
    full = align(songs["a"], songs["b"])
    quick = align(songs["a"], songs["b"], explain=False)
    assert quick.distance == full.distance and quick.matches == []


def test_too_short_inputs_do_not_align() -> None:
    tiny = np.random.default_rng(0).random((12, 16)).astype(np.float32)
    result = align(tiny, tiny)
    assert result.distance == NO_ALIGNMENT_DISTANCE and result.matches == []


def test_oti_of_a_rolled_profile() -> None:
    a = np.random.default_rng(0).random((12, 50))
    assert optimal_transposition(a, np.roll(a, 4, axis=0)) == -4


def test_trace_follows_a_diagonal_and_drops_overlaps() -> None:
    scores = np.zeros((30, 30), dtype=np.float32)
    for k in range(10):  # a diagonal run from (5, 8) to (14, 17)
        scores[5 + k, 8 + k] = k + 1
    for k in range(4):  # a weaker, separate run from (20, 0) to (23, 3)
        scores[20 + k, k] = k + 1
    scores[15, 18] = 9.5  # the first run's decaying tail
    matches = trace_matches(scores, fps=1.0)
    assert matches[0] == Match(a_start=5, a_end=15, b_start=8, b_end=18, score=10.0)
    assert matches[1] == Match(a_start=20, a_end=24, b_start=0, b_end=4, score=4.0)
    assert len(matches) == 2


def test_empty_scores_have_no_matches() -> None:
    assert trace_matches(np.zeros((5, 5), dtype=np.float32), fps=1.0) == []
