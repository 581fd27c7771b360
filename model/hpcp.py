"""Harmonic pitch class profiles (HPCP) with Essentia, and the CNN's view of them.

Shapes follow librosa's convention: chroma is ``(12, n_frames)``, bin 0 is A.
"""

from __future__ import annotations

import numpy as np

from model.constants import (
    ALIGN_DOWNSAMPLE,
    FRAME_SIZE,
    HARMONICS,
    HOP_SIZE,
    HPCP_BAND_PRESET,
    HPCP_NON_LINEAR,
    HPCP_NORMALIZED,
    HPCP_WEIGHT,
    HPCP_WINDOW_SEMITONES,
    MAX_FREQUENCY,
    MAX_PEAKS,
    MIN_FREQUENCY,
    N_BINS,
    PEAK_ORDER,
    PEAK_THRESHOLD,
    REFERENCE_FREQUENCY,
    SAMPLE_RATE,
    SPECTRUM_WINDOW,
    TIME_SCALE,
)
from model.errors import InvalidInput


def hpcp(
    y: np.ndarray,
    *,
    sr: int = SAMPLE_RATE,
    frame: int = FRAME_SIZE,
    hop: int = HOP_SIZE,
) -> np.ndarray:
    """Harmonic pitch class profile of a mono signal ``y`` (n_samples,).

    Returns float32 of shape (12, n_frames), each frame scaled to a maximum of 1
    (all zeros for silence), A = bin 0, bins ascending by semitone.
    """
    import essentia.standard as es

    if sr <= 0 or sr < 2 * MAX_FREQUENCY:
        raise InvalidInput(f"sample rate {sr} Hz is too low for HPCP up to {MAX_FREQUENCY} Hz")
    y = np.ascontiguousarray(y, dtype=np.float32)
    if y.shape[0] < frame:
        y = np.pad(y, (0, frame - y.shape[0]))
    window = es.Windowing(type=SPECTRUM_WINDOW, size=frame)
    spectrum = es.Spectrum(size=frame)
    peaks = es.SpectralPeaks(
        orderBy=PEAK_ORDER,
        magnitudeThreshold=PEAK_THRESHOLD,
        minFrequency=MIN_FREQUENCY,
        maxFrequency=MAX_FREQUENCY,
        maxPeaks=MAX_PEAKS,
        sampleRate=sr,
    )
    profile = es.HPCP(
        size=N_BINS,
        referenceFrequency=REFERENCE_FREQUENCY,
        harmonics=HARMONICS,
        bandPreset=HPCP_BAND_PRESET,
        minFrequency=MIN_FREQUENCY,
        maxFrequency=MAX_FREQUENCY,
        weightType=HPCP_WEIGHT,
        nonLinear=HPCP_NON_LINEAR,
        windowSize=HPCP_WINDOW_SEMITONES,
        normalized=HPCP_NORMALIZED,
        sampleRate=sr,
    )
    frames = [
        profile(*peaks(spectrum(window(f))))
        for f in es.FrameGenerator(y, frameSize=frame, hopSize=hop, startFromZero=True)
    ]
    chroma = np.asarray(frames, dtype=np.float32).T
    return np.nan_to_num(chroma, nan=0.0, posinf=0.0, neginf=0.0)


def block_mean(chroma: np.ndarray, block: int) -> np.ndarray:
    """Average (12, n) chroma over non-overlapping blocks of ``block`` frames -> (12, ceil(n/block))."""
    n = chroma.shape[1]
    if block <= 1 or n == 0:
        return chroma.astype(np.float32, copy=True)
    pad = (-n) % block
    if pad:
        # Repeat the edge so the last (partial) block is an average of real frames.
        chroma = np.pad(chroma, ((0, 0), (0, pad)), mode="edge")
    means: np.ndarray = chroma.reshape(chroma.shape[0], -1, block).mean(axis=2)
    return means.astype(np.float32)


def znorm(x: np.ndarray) -> np.ndarray:
    """Z-normalise a whole matrix (zero mean, unit variance); constant input gives zeros."""
    std = float(x.std())
    z: np.ndarray = (x - float(x.mean())) / (std if std > 1e-8 else 1.0)
    return z.astype(np.float32)


def cnn_features(chroma: np.ndarray, *, time_scale: float = TIME_SCALE) -> np.ndarray:
    """What the CNN sees: z-normalised HPCP scaled along time. (12, n) -> (12, ~n * time_scale)."""
    return block_mean(znorm(chroma), round(1.0 / time_scale))


def align_features(chroma: np.ndarray, *, block: int = ALIGN_DOWNSAMPLE) -> np.ndarray:
    """What the alignment sees: HPCP averaged over ``block`` frames, frames x bins (n', 12)."""
    return np.ascontiguousarray(block_mean(chroma, block).T)


def transpose(chroma: np.ndarray, semitones: int) -> np.ndarray:
    """Roll chroma (12, n) up by ``semitones`` bins: a pitch shift of the music."""
    return np.roll(chroma, semitones, axis=0)
