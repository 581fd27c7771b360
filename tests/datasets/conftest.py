"""Tiny inputs for the training-data builders: a 2-bar tune and short generated recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from datasets.arrange import BeatNote, Tune
from model.audio import encode
from model.constants import SAMPLE_RATE

TWO_BAR_ABC = """X:1
T: Two bars on A
M: 4/4
L: 1/4
K: A
A A e c | A2 A2 |
"""


@pytest.fixture
def two_bar_tune() -> Tune:
    """Two bars of 4/4 that only ever play A (MIDI 69 and 57)."""
    melody = [BeatNote(69, float(b), float(b) + 0.9) for b in range(4)]
    melody += [BeatNote(57, 4.0, 6.0), BeatNote(69, 6.0, 8.0)]
    return Tune(melody=melody, beats_per_bar=4.0, tonic=9, minor=False)


def chord_recording(path: Path, *, root_hz: float, seconds: float, seed: int) -> Path:
    """A major triad with harmonics and a little noise, written as FLAC."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    y = np.zeros_like(t)
    for ratio in (1.0, 2 ** (4 / 12), 2 ** (7 / 12)):
        for h in (1, 2, 3):
            y += np.sin(2 * np.pi * root_hz * ratio * h * t) / h
    y = 0.2 * y / np.abs(y).max() + 0.003 * rng.standard_normal(t.size)
    return encode(y.astype(np.float32), path)


@pytest.fixture
def recordings(tmp_path: Path) -> list[Path]:
    """Two short 'tracks' (A major and C major triads, 16 s each)."""
    folder = tmp_path / "music"
    folder.mkdir()
    return [
        chord_recording(folder / "a.flac", root_hz=220.0, seconds=16.0, seed=1),
        chord_recording(folder / "c.flac", root_hz=261.63, seconds=16.0, seed=2),
    ]
