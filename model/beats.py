"""Beats at several tempo levels: an onset envelope and a dynamic-programming beat tracker.

The tracker follows Ellis (2007), "Beat tracking by dynamic programming": estimate a tempo from
the envelope's autocorrelation weighted by a log-normal prior around a start tempo, then pick the
beat sequence that maximises onset strength at the beats minus a penalty on intervals that stray
from that tempo. Different start tempi pick different metrical levels (half, whole, double time);
cover detection compares every level of one song with every level of the other.
"""

from __future__ import annotations

import numpy as np

from model.constants import HOP_SIZE, SAMPLE_RATE
from model.errors import InvalidInput

ENVELOPE_FRAME = 1024
ENVELOPE_HOP = HOP_SIZE
START_BPMS = (60.0, 120.0, 180.0)
TEMPO_PRIOR_OCTAVES = 0.5
"""Width (std, in octaves) of the log-normal tempo prior around the start tempo."""
MIN_BPM, MAX_BPM = 30.0, 300.0
SAME_LEVEL = 0.1
"""Levels whose tempi differ by less than this fraction count as the same level."""


def onset_envelope(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, float]:
    """Spectral-flux onset strength of a mono signal y (n_samples,).

    Returns (envelope (n_frames,) float32, frames per second); frame f is centred at
    f * hop / sr seconds. The envelope is high-passed and scaled to unit standard deviation
    (all zeros for silence).
    """
    if sr <= 0:
        raise InvalidInput(f"sample rate must be positive, got {sr}")
    y = np.asarray(y, dtype=np.float32)
    half = ENVELOPE_FRAME // 2
    y = np.pad(y, (half, half))
    if y.shape[0] < ENVELOPE_FRAME:
        y = np.pad(y, (0, ENVELOPE_FRAME - y.shape[0]))
    frames = np.lib.stride_tricks.sliding_window_view(y, ENVELOPE_FRAME)[::ENVELOPE_HOP]
    window = np.hanning(ENVELOPE_FRAME).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(frames * window, axis=1)).astype(np.float32)
    log_spec = np.log1p(1000.0 * spectrum)
    flux = np.maximum(np.diff(log_spec, axis=0, prepend=log_spec[:1]), 0.0).sum(axis=1)
    fps = sr / ENVELOPE_HOP
    # Remove the slowly varying part (loudness swells) with a ~1 s moving average.
    width = max(1, round(fps))
    local = np.convolve(flux, np.ones(width) / width, mode="same")
    env = np.maximum(flux - local, 0.0)
    std = float(env.std())
    env = env / std if std > 1e-8 else np.zeros_like(env)
    return env.astype(np.float32), float(fps)


def estimate_tempo(envelope: np.ndarray, *, fps: float, start_bpm: float) -> float:
    """Tempo (bpm) whose lag maximises the envelope autocorrelation times a prior at start_bpm."""
    n = envelope.shape[0]
    max_lag = min(n - 1, int(fps * 60.0 / MIN_BPM))
    min_lag = max(1, int(fps * 60.0 / MAX_BPM))
    if max_lag <= min_lag:
        return start_bpm
    x = envelope - envelope.mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, n=size)
    acf = np.fft.irfft(spec * np.conj(spec), n=size)[: max_lag + 1]
    lags = np.arange(min_lag, max_lag + 1)
    bpm = 60.0 * fps / lags
    prior = np.exp(-0.5 * (np.log2(bpm / start_bpm) / TEMPO_PRIOR_OCTAVES) ** 2)
    weighted = acf[min_lag:] * prior
    if not np.any(weighted > 0):
        return start_bpm
    best = int(np.argmax(weighted))
    lag = float(lags[best])
    if 0 < best < len(weighted) - 1:  # parabolic refinement of the peak lag
        a, b, c = weighted[best - 1], weighted[best], weighted[best + 1]
        denom = a - 2 * b + c
        if denom < 0:
            lag += 0.5 * (a - c) / denom
    return float(60.0 * fps / lag)


def track_beats(
    envelope: np.ndarray, *, fps: float, start_bpm: float, tightness: float = 100.0
) -> np.ndarray:
    """Dynamic-programming beat tracker (Ellis 2007) biased to start_bpm; beat times in seconds.

    envelope: onset strength (n_frames,) at fps frames per second. Returns float32 (n_beats,)
    ascending; empty when the envelope has no onsets.
    """
    n = envelope.shape[0]
    if n == 0 or not np.any(envelope > 0):
        return np.zeros(0, dtype=np.float32)
    period = 60.0 * fps / estimate_tempo(envelope, fps=fps, start_bpm=start_bpm)
    # Local score: the envelope smoothed by a Gaussian a sixteenth of a beat wide.
    half = round(period)
    taps = np.arange(-half, half + 1)
    kernel = np.exp(-0.5 * (taps / (period / 16.0)) ** 2)
    local = np.convolve(envelope, kernel, mode="same")
    lo, hi = max(1, round(period / 2)), max(2, round(2 * period))
    lags = np.arange(lo, hi + 1)
    penalty = -tightness * np.log(lags / period) ** 2
    cumulative = local.astype(np.float64).copy()
    backlink = np.full(n, -1, dtype=np.int64)
    # cumulative[t] depends only on frames at least `lo` earlier: fill `lo` frames at a time.
    for start in range(lo, n, lo):
        t = np.arange(start, min(n, start + lo))
        prev = t[:, None] - lags[None, :]
        valid = prev >= 0
        cand = np.where(valid, cumulative[np.maximum(prev, 0)] + penalty, -np.inf)
        best = np.argmax(cand, axis=1)
        gain = cand[np.arange(len(t)), best]
        take = gain > 0  # a beat may also start a new sequence here
        cumulative[t] = local[t] + np.where(take, gain, 0.0)
        backlink[t] = np.where(take, prev[np.arange(len(t)), best], -1)
    # End on the best-scoring frame within the last beat period, then follow the links back.
    tail = max(0, n - round(period))
    last = tail + int(np.argmax(cumulative[tail:]))
    beats = [last]
    while backlink[beats[-1]] >= 0:
        beats.append(int(backlink[beats[-1]]))
    frames = np.asarray(beats[::-1], dtype=np.int64)
    # Drop weak beats at either end (silence or noise before and after the music).
    strength = local[frames]
    strong = np.flatnonzero(strength >= 0.5 * np.sqrt(np.mean(strength**2)))
    frames = frames[strong[0] : strong[-1] + 1]
    return (frames / fps).astype(np.float32)


def beat_tempo(beats: np.ndarray) -> float:
    """Tempo (bpm) of a beat sequence from its mean inter-beat interval; 0 with < 2 beats.

    (The mean, not the median: beats sit on envelope frames, so single intervals are quantised.)
    """
    if beats.shape[0] < 2:
        return 0.0
    span = float(beats[-1] - beats[0])
    return 60.0 * (beats.shape[0] - 1) / span if span > 0 else 0.0


def beat_levels(
    y: np.ndarray, *, sr: int = SAMPLE_RATE, start_bpms: tuple[float, ...] = START_BPMS
) -> list[np.ndarray]:
    """Beat times per tempo level, dropping a level within ~10 % of a kept one.

    Returns one float32 (n_beats,) array of seconds per kept level, in the order of
    ``start_bpms``; an empty list for a signal without onsets.
    """
    envelope, fps = onset_envelope(y, sr=sr)
    kept: list[np.ndarray] = []
    tempi: list[float] = []
    for bpm in start_bpms:
        beats = track_beats(envelope, fps=fps, start_bpm=bpm)
        tempo = beat_tempo(beats)
        if tempo <= 0 or any(abs(tempo - t) < SAME_LEVEL * t for t in tempi):
            continue
        kept.append(beats)
        tempi.append(tempo)
    return kept
