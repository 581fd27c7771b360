"""Qmax done right: Essentia's cross-similarity where Essentia is right, sane where it is not."""

import numpy as np
import pytest

from model.hpcp import block_mean, hpcp
from model.qmax import (
    BINARIZE_PERCENTILE,
    FRAME_STACK,
    NO_ALIGNMENT_DISTANCE,
    cross_similarity,
    optimal_transposition,
    qmax,
    stack_frames,
)
from tests.signals import tune


def essentia_csm(a: np.ndarray, b: np.ndarray, *, oti: bool) -> np.ndarray:
    import essentia.standard as es

    algo = es.ChromaCrossSimilarity(
        frameStackSize=FRAME_STACK, binarizePercentile=BINARIZE_PERCENTILE, oti=oti
    )
    return np.asarray(algo(np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)))


def essentia_percentile_is_exact(n: int) -> bool:
    """Essentia's percentile is right unless (n - 1) * q is a whole number (then it gives 0)."""
    k = (n - 1) * BINARIZE_PERCENTILE
    return abs(k - round(k)) > 1e-6


def brute_force_csm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Explicit loops and np.percentile: the definition, slowly."""
    sa, sb = stack_frames(a), stack_frames(b)
    d = np.array([[np.linalg.norm(x - y) for y in sb] for x in sa])
    out = np.zeros_like(d)
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            row = np.percentile(d[i], 100 * BINARIZE_PERCENTILE)
            col = np.percentile(d[:, j], 100 * BINARIZE_PERCENTILE)
            out[i, j] = float(d[i, j] <= row and d[i, j] <= col)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_cross_similarity_equals_essentia_where_essentia_is_right(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_a, n_b = (int(v) for v in rng.integers(20, 140, 2))
    a = rng.random((12, n_a)).astype(np.float32)
    b = np.roll(a[:, :n_b], int(rng.integers(12)), axis=0) if seed % 2 else rng.random((12, n_b))
    b = (b + 0.2 * rng.random(b.shape)).astype(np.float32)
    assert essentia_percentile_is_exact(a.shape[1] - FRAME_STACK)
    assert essentia_percentile_is_exact(b.shape[1] - FRAME_STACK)
    want = essentia_csm(a, b, oti=True)
    shift = optimal_transposition(a, b)
    got = cross_similarity(a, np.roll(b, shift, axis=0))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(cross_similarity(a, b), essentia_csm(a, b, oti=False))


def test_lengths_where_essentias_percentile_fails_still_match() -> None:
    rng = np.random.default_rng(1)
    a = rng.random((12, 201 + FRAME_STACK)).astype(np.float32)
    b = rng.random((12, 40)).astype(np.float32)
    assert essentia_csm(a, b, oti=False).sum() == 0  # the pitfall
    got = cross_similarity(a, b)
    assert got.sum() > 0
    np.testing.assert_array_equal(got, brute_force_csm(a, b))


@pytest.fixture(scope="module")
def songs() -> dict[str, np.ndarray]:
    def pooled(y: np.ndarray) -> np.ndarray:
        return block_mean(hpcp(y), 16)

    silence = np.zeros(22050 * 6, dtype=np.float32)
    return {
        "a": pooled(tune(0, seconds=40.0, seed=1)),
        "a_up3": pooled(tune(3, seconds=40.0, seed=1)),
        "a_silent_intro": pooled(np.concatenate([silence, tune(0, seconds=34.0, seed=1)])),
        "b": pooled(tune(0, seconds=40.0, seed=99)),
    }


def test_transposed_rendition_is_found_in_its_key(songs: dict[str, np.ndarray]) -> None:
    cover = qmax(songs["a"], songs["a_up3"])
    assert cover.key_shift == -3
    assert qmax(songs["a_up3"], songs["a"]).key_shift == 3
    assert cover.distance < qmax(songs["a"], songs["b"]).distance


def test_both_directions_give_one_symmetric_distance(songs: dict[str, np.ndarray]) -> None:
    ab, ba = qmax(songs["a"], songs["b"]), qmax(songs["b"], songs["a"])
    assert ab.distance == pytest.approx(ba.distance)
    assert ab.distance == pytest.approx((ab.forward + ab.backward) / 2)


@pytest.mark.parametrize("seed", range(4))
def test_one_alignment_serves_both_directions(seed: int) -> None:
    import essentia.standard as es

    rng = np.random.default_rng(seed)
    csm = rng.random((int(rng.integers(30, 90)), int(rng.integers(30, 90)))) < 0.15
    csm = csm.astype(np.float32)
    csm[np.arange(25), np.arange(25) + 3] = 1.0  # a diagonal to find
    sw = es.CoverSongSimilarity(alignmentType="serra09", distanceType="asymmetric")
    forward, _ = sw(csm)
    backward, _ = sw(np.ascontiguousarray(csm.T))
    assert np.asarray(forward).max() == np.asarray(backward).max()


def test_a_song_starting_in_silence_still_matches(songs: dict[str, np.ndarray]) -> None:
    result = qmax(songs["a_silent_intro"], songs["a"], explain=True)
    assert result.cross_similarity is not None and result.cross_similarity.sum() > 0
    assert result.distance < qmax(songs["a_silent_intro"], songs["b"]).distance
    silent_rows = result.cross_similarity[:5]
    assert silent_rows.sum() == 0  # silence matches nothing, not even silence


def test_nothing_aligned_is_a_large_finite_distance() -> None:
    silent = np.zeros((12, 60), dtype=np.float32)
    tiny = np.ones((12, 5), dtype=np.float32)
    rng = np.random.default_rng(0).random((12, 60)).astype(np.float32)
    for a, b in ((silent, rng), (tiny, rng)):
        result = qmax(a, b)
        assert result.distance == NO_ALIGNMENT_DISTANCE and not result.aligned
