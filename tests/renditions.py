"""Synthetic songs and re-orchestrated renditions of them, for tests of the product's answer.

A song is a seeded melody over a chord progression with a bass line; a rendition of it may be
transposed, played at another tempo and with another timbre (harmonics, envelope, noise).
"""

from __future__ import annotations

import numpy as np

from model.constants import SAMPLE_RATE

# Triads as semitones above A.
PROGRESSION_A = [(3, 7, 10), (10, 14, 17), (8, 12, 15), (5, 8, 12)]  # C G F Dm
PROGRESSION_B = [(0, 3, 7), (5, 9, 12), (2, 5, 9), (7, 11, 14)]  # Am D Bm E
MELLOW = (1.0, 0.3)
BRIGHT = (1.0, 0.6, 0.4, 0.3, 0.2)


def song(
    progression: list[tuple[int, int, int]],
    *,
    melody_seed: int,
    seconds: float = 40.0,
    transpose: int = 0,
    tempo: float = 1.0,
    harmonics: tuple[float, ...] = MELLOW,
    decay: float = 1.5,
    seed: int = 0,
    sr: int = SAMPLE_RATE,
) -> np.ndarray:
    """Mono float32: two beats of 0.5 s / ``tempo`` per melody note, four notes per chord.

    ``melody_seed`` fixes the tune (its melody); ``seed`` only the performance (phases, noise).
    """
    tune = np.random.default_rng(melody_seed)
    play = np.random.default_rng(seed)
    note = 0.5 / tempo
    t = np.arange(int(note * sr)) / sr
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-decay * t)
    scale = [0, 2, 3, 5, 7, 8, 10, 12]
    melody = [scale[k] for k in tune.integers(len(scale), size=4 * len(progression))]
    out = []
    for k in range(int(seconds / note)):
        chord = progression[(k // 4) % len(progression)]
        pitches = [(p, 0.4) for p in chord] + [(chord[0] - 12, 0.5)]
        pitches.append((melody[k % len(melody)] + chord[0] + 12, 0.8))
        y = np.zeros_like(t)
        for semitone, amp in pitches:
            f0 = 220.0 * 2 ** ((semitone + transpose) / 12)
            for h, a in enumerate(harmonics, start=1):
                y += amp * a * np.sin(2 * np.pi * f0 * h * t + play.uniform(0, 2 * np.pi))
        out.append(y * envelope)
    y = np.concatenate(out)
    y += 0.01 * np.abs(y).max() * play.standard_normal(y.shape)
    song: np.ndarray = (0.25 * y / np.abs(y).max()).astype(np.float32)
    return song


def tune_rendition_stranger(*, seconds: float = 40.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The product's basic case, as (tune, rendition, stranger): a tune; the same tune three
    semitones up, 12 % faster, with a brighter timbre, in another performance (a cover); and
    another tune over another progression (not a cover)."""
    tune = song(PROGRESSION_A, melody_seed=1, seconds=seconds)
    rendition = song(
        PROGRESSION_A,
        melody_seed=1,
        seconds=seconds,
        transpose=3,
        tempo=1.12,
        harmonics=BRIGHT,
        decay=0.6,
        seed=5,
    )
    return tune, rendition, song(PROGRESSION_B, melody_seed=2, seconds=seconds)
