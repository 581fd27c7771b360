"""Synthetic signals for tests: tones and seeded tunes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.constants import SAMPLE_RATE

FIXTURES = Path(__file__).parent / "fixtures"


def tone(freq: float, seconds: float, *, sr: int = SAMPLE_RATE, harmonics: int = 1) -> np.ndarray:
    """A steady tone with ``harmonics`` partials of decaying amplitude, float32."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * freq * h * t) / h for h in range(1, harmonics + 1))
    return (0.3 * y / np.max(np.abs(y))).astype(np.float32)


def tune(
    semitones: int = 0, *, seconds: float = 12.0, seed: int = 7, sr: int = SAMPLE_RATE
) -> np.ndarray:
    """A seeded random melody over a repeating chord loop, transposable by ``semitones``."""
    rng = np.random.default_rng(seed)
    note_s = 0.5
    t = np.arange(int(note_s * sr)) / sr
    chords = [[0, 4, 7], [5, 9, 12], [7, 11, 14], [0, 4, 7]]
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    out = []
    for k in range(int(seconds / note_s)):
        chord = chords[(k // 4) % len(chords)]
        melody = scale[rng.integers(len(scale))]
        parts = [0.5 * np.sin(2 * np.pi * 220.0 * 2 ** ((n + semitones) / 12) * t) for n in chord]
        parts.append(np.sin(2 * np.pi * 440.0 * 2 ** ((melody + semitones) / 12) * t))
        out.append(sum(parts) * np.exp(-2.0 * t))
    y = np.concatenate(out)
    return (0.25 * y / np.max(np.abs(y))).astype(np.float32)
