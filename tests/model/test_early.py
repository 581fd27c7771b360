"""Early fusion: a transposed, re-orchestrated, slower rendition of a tune aligns better than a
different tune played with the original's instrument; songs without blocks score 0."""

from __future__ import annotations

import numpy as np
import pytest

from model.blocks import BlockLevel, block_levels
from model.constants import SAMPLE_RATE
from model.early import EarlyParams, early_fusion, level_pairs

POP = [[0, 4, 7], [7, 11, 14], [9, 12, 16], [5, 9, 12]]  # C G Am F
MINOR = [[9, 12, 16], [2, 6, 9], [11, 14, 18], [4, 8, 11]]  # Am D Bm E
SCALE = [0, 2, 4, 5, 7, 9, 11, 12, 14]


def note(freq: float, seconds: float, timbre: str) -> np.ndarray:
    """One note by additive synthesis: 'piano' (all partials, fast decay) or 'organ' (odd
    partials, sustained, soft attack)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    if timbre == "piano":
        partials = [(h, 1.0 / h) for h in range(1, 9)]
        envelope = np.exp(-4.0 * t)
    else:
        partials = [(h, 1.0 / h**2) for h in (1, 3, 5)]
        envelope = np.minimum(1.0, t / 0.05)
    return envelope * sum(a * np.sin(2 * np.pi * freq * h * t) for h, a in partials)


def render(
    chords: list[list[int]],
    *,
    seed: int,
    semitones: int = 0,
    timbre: str = "piano",
    bpm: float = 120.0,
    seconds: float = 45.0,
) -> np.ndarray:
    """A tune: chords changing every 4 beats under a seeded melody of one note per beat."""
    rng = np.random.default_rng(seed)
    melody = rng.choice(SCALE, size=256)
    beat = 60.0 / bpm
    out = []
    for k in range(int(seconds / beat)):
        chord = chords[(k // 4) % len(chords)]
        pitch = [*(n - 12 for n in chord), int(melody[k % len(melody)])]
        freqs = [261.63 * 2 ** ((p + semitones) / 12) for p in pitch]
        gains = [0.4, 0.4, 0.4, 1.0]
        out.append(sum(g * note(f, beat, timbre) for f, g in zip(freqs, gains, strict=True)))
    y = np.concatenate(out)
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.fixture(scope="module")
def songs() -> dict[str, list[BlockLevel]]:
    return {
        "original": block_levels(render(POP, seed=1)),
        "cover": block_levels(render(POP, seed=1, semitones=3, timbre="organ", bpm=108.0)),
        "stranger": block_levels(render(MINOR, seed=2)),
    }


def test_a_cover_scores_higher_than_a_different_tune(songs: dict[str, list[BlockLevel]]) -> None:
    cover = early_fusion(songs["original"], songs["cover"])
    stranger = early_fusion(songs["original"], songs["stranger"])
    assert cover.fused > 1.5 * stranger.fused
    assert cover.hpcp > stranger.hpcp  # harmony survives transposition (OTI)
    # The score does not depend on which song is the query.
    reverse = early_fusion(songs["cover"], songs["original"])
    for name in ("fused", "hpcp", "mfcc", "ssm"):
        assert getattr(reverse, name) == pytest.approx(getattr(cover, name), rel=1e-4)


def test_explain_gives_the_fused_matrix_and_block_times(
    songs: dict[str, list[BlockLevel]],
) -> None:
    score = early_fusion(songs["original"], songs["cover"], explain=True)
    i, j = score.levels
    a, b = songs["original"][i], songs["cover"][j]
    assert score.matrix is not None and score.matrix.shape == (a.n_blocks, b.n_blocks)
    assert set(np.unique(score.matrix)) <= {0.0, 1.0}
    assert score.beats_a is a.beats and score.beats_b is b.beats
    assert early_fusion(songs["original"], songs["cover"]).matrix is None


def test_more_level_pairs_never_lower_a_score(songs: dict[str, list[BlockLevel]]) -> None:
    one = early_fusion(songs["original"], songs["cover"], params=EarlyParams(single_pairs=1))
    every = early_fusion(
        songs["original"], songs["cover"], params=EarlyParams(fused_pairs=9, single_pairs=9)
    )
    for name in ("fused", "hpcp", "mfcc", "ssm"):
        assert getattr(every, name) >= getattr(one, name)


def test_songs_without_blocks_score_zero(songs: dict[str, list[BlockLevel]]) -> None:
    short = block_levels(render(POP, seed=1, seconds=6.0))
    for a, b in [(short, songs["original"]), (songs["original"], short), ([], []), ([], short)]:
        score = early_fusion(a, b, explain=True)
        assert (score.fused, score.hpcp, score.mfcc, score.ssm) == (0.0, 0.0, 0.0, 0.0)
        assert score.levels == (-1, -1) and score.matrix is None
    assert level_pairs(short, songs["original"]) == []


def test_scored_blocks_cap_spreads_evenly_and_keeps_short_songs_whole() -> None:
    from model.early import scored_blocks

    assert scored_blocks(10, limit=256).tolist() == list(range(10))
    kept = scored_blocks(600, limit=256)
    assert len(kept) == 256 and kept[0] == 0 and kept[-1] == 599
    gaps = np.diff(kept)
    assert gaps.min() >= 2 and gaps.max() <= 3  # evenly spread, every ~2.3 blocks
