"""Beat tracking: a click track's beats are found, and tempo levels are distinct metrical levels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.beats import SAME_LEVEL, beat_levels, beat_tempo, onset_envelope, track_beats
from model.constants import SAMPLE_RATE

FIRST_CLICK = 0.5


def click_track(bpm: float, *, seconds: float = 20.0, seed: int = 0) -> np.ndarray:
    """Short noise bursts on every beat over faint noise, float32."""
    rng = np.random.default_rng(seed)
    y = 0.01 * rng.standard_normal(int(seconds * SAMPLE_RATE))
    n = int(0.02 * SAMPLE_RATE)
    burst = np.hanning(n) * rng.standard_normal(n)
    for t in np.arange(FIRST_CLICK, seconds - 0.1, 60.0 / bpm):
        i = int(t * SAMPLE_RATE)
        y[i : i + n] += burst
    return y.astype(np.float32)


@pytest.mark.parametrize("bpm", [100.0, 140.0])
def test_tracker_finds_every_click(bpm: float) -> None:
    seconds = 20.0
    envelope, fps = onset_envelope(click_track(bpm, seconds=seconds))
    beats = track_beats(envelope, fps=fps, start_bpm=120.0)
    clicks = np.arange(FIRST_CLICK, seconds - 0.1, 60.0 / bpm)
    assert len(beats) == len(clicks)
    assert np.max(np.abs(beats - clicks)) < 0.05  # about two envelope frames
    assert beat_tempo(beats) == pytest.approx(bpm, rel=0.02)


@pytest.mark.parametrize("bpm", [100.0, 140.0])
def test_levels_are_distinct_metrical_levels(bpm: float) -> None:
    levels = beat_levels(click_track(bpm))
    tempi = sorted(beat_tempo(b) for b in levels)
    assert len(tempi) >= 2
    assert all(b / a > 1 + SAME_LEVEL for a, b in itertools.pairwise(tempi))
    # Each level is the click tempo or a multiple / subdivision of it.
    for t in tempi:
        ratio = t / bpm
        assert min(abs(ratio - r) for r in (0.5, 1.0, 2.0)) < 0.05 * max(ratio, 1.0)


def test_silence_has_no_beats() -> None:
    assert beat_levels(np.zeros(SAMPLE_RATE * 3, dtype=np.float32)) == []
    envelope, fps = onset_envelope(np.zeros(100, dtype=np.float32))
    assert np.all(envelope == 0)
    assert track_beats(envelope, fps=fps, start_bpm=120.0).shape == (0,)
