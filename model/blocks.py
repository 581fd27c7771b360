"""Beat-synchronous blocks of harmony (HPCP), timbre (MFCC) and timbral shape (MFCC self-similarity).

One block starts at every beat of a tempo level and spans ``BLOCK_BEATS`` beats (Tralie 2017).
Blocks are what early fusion aligns: a cover keeps the sequence of blocks even when tempo, key and
instrumentation change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.beats import beat_levels, beat_tempo
from model.constants import FRAME_SIZE, HOP_SIZE, N_BINS, SAMPLE_RATE

BLOCK_BEATS = 20
CHROMA_PER_BEAT = 2
MFCC_WINDOW = 8192
"""Long MFCC windows (~0.37 s at 22050 Hz; a power of two keeps the FFT cheap)."""
MFCC_HOP = 2048
MFCC_COEFFS = 20
MFCC_BANDS = 40
LIFTER_EXPONENT = 0.6
"""Coefficient i is scaled by i ** 0.6: emphasises timbre over overall level (c0 is dropped)."""
BLOCK_WINDOWS = 40
"""MFCC windows per block, evenly spaced in time; the self-similarity image is this size."""
MAX_BLOCKS = 600
"""Cost cap per level: longer songs keep this many block starts, evenly spaced."""

HPCP_DIM = CHROMA_PER_BEAT * BLOCK_BEATS * N_BINS
MFCC_DIM = BLOCK_WINDOWS * MFCC_COEFFS
SSM_DIM = BLOCK_WINDOWS * (BLOCK_WINDOWS - 1) // 2


@dataclass(frozen=True, eq=False)
class BlockLevel:
    """The blocks of one song at one tempo level (compared by identity, not by value)."""

    tempo: float
    """bpm of this level (mean inter-beat interval)."""
    beats: np.ndarray
    """(n_blocks,) float32 seconds: block i starts at beats[i] and spans BLOCK_BEATS beats."""
    hpcp: np.ndarray
    """(n_blocks, HPCP_DIM) float16, unit norm: 2 chroma windows per beat x 20 beats x 12 bins."""
    mfcc: np.ndarray
    """(n_blocks, MFCC_DIM) float16: 40 windows x 20 liftered MFCCs, z-normalised per block."""
    ssm: np.ndarray
    """(n_blocks, SSM_DIM) float16: upper triangle of each block's 40 x 40 MFCC distance image."""

    @property
    def n_blocks(self) -> int:
        return int(self.beats.shape[0])


def mfcc_frames(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """Liftered MFCCs of long windows: ((n_frames, 20) float32, (n_frames,) centre times in s)."""
    import essentia.standard as es

    y = np.asarray(y, dtype=np.float32)
    if y.shape[0] < MFCC_WINDOW:
        y = np.pad(y, (0, MFCC_WINDOW - y.shape[0]))
    frames = np.lib.stride_tricks.sliding_window_view(y, MFCC_WINDOW)[::MFCC_HOP]
    window = np.hanning(MFCC_WINDOW).astype(np.float32)
    mfcc = es.MFCC(
        inputSize=MFCC_WINDOW // 2 + 1,
        sampleRate=sr,
        numberBands=MFCC_BANDS,
        numberCoefficients=MFCC_COEFFS,
        highFrequencyBound=min(11000.0, sr / 2),
    )
    out = np.empty((frames.shape[0], MFCC_COEFFS), dtype=np.float32)
    chunk = 256
    for start in range(0, frames.shape[0], chunk):
        spectra = np.abs(np.fft.rfft(frames[start : start + chunk] * window, axis=1))
        for i, spectrum in enumerate(spectra.astype(np.float32)):
            out[start + i] = mfcc(spectrum)[1]
    out *= (np.arange(MFCC_COEFFS, dtype=np.float32) ** LIFTER_EXPONENT)[None, :]
    times = (np.arange(frames.shape[0]) * MFCC_HOP + MFCC_WINDOW / 2) / sr
    return out, times


def beat_chroma(chroma: np.ndarray, beats: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Average raw HPCP (12, n_frames) over each half beat -> (2 * (n_beats - 1), 12) float32."""
    n_frames = chroma.shape[1]
    bounds = np.empty(2 * len(beats) - 1, dtype=np.float64)
    bounds[0::2] = beats
    bounds[1::2] = 0.5 * (beats[:-1] + beats[1:])
    # HPCP frame f covers samples f * hop .. f * hop + frame; index by frame centre.
    idx = np.clip(np.round((bounds * sr - FRAME_SIZE / 2) / HOP_SIZE).astype(np.int64), 0, n_frames)
    lo, hi = idx[:-1], np.maximum(idx[1:], idx[:-1] + 1)
    lo = np.minimum(lo, max(n_frames - 1, 0))
    hi = np.clip(hi, lo + 1, max(n_frames, 1))
    cum = np.concatenate([np.zeros((1, N_BINS)), np.cumsum(chroma.T, axis=0, dtype=np.float64)])
    if n_frames == 0:
        return np.zeros((len(lo), N_BINS), dtype=np.float32)
    means: np.ndarray = (cum[hi] - cum[lo]) / (hi - lo)[:, None]
    return means.astype(np.float32)


def block_starts(n_beats: int, *, max_blocks: int = MAX_BLOCKS) -> np.ndarray:
    """Indices of the beats where blocks start: every beat with 20 beats after it, capped evenly."""
    n_blocks = max(0, n_beats - BLOCK_BEATS)
    if n_blocks <= max_blocks:
        return np.arange(n_blocks)
    return np.unique(np.round(np.linspace(0, n_blocks - 1, max_blocks)).astype(np.int64))


def hpcp_blocks(per_beat: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Stack 2 x 20 half-beat chroma vectors per block, unit norm -> (n_blocks, HPCP_DIM)."""
    width = CHROMA_PER_BEAT * BLOCK_BEATS
    rows = CHROMA_PER_BEAT * starts[:, None] + np.arange(width)[None, :]
    blocks = per_beat[rows].reshape(len(starts), -1)
    norms = np.linalg.norm(blocks, axis=1, keepdims=True)
    return blocks / np.where(norms > 1e-8, norms, 1.0)


def mfcc_blocks(
    mfcc: np.ndarray, times: np.ndarray, beats: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """MFCCs at 40 evenly spaced times through each block, z-normalised -> (n, 40, 20)."""
    t0, t1 = beats[starts], beats[starts + BLOCK_BEATS]
    frac = (np.arange(BLOCK_WINDOWS) + 0.5) / BLOCK_WINDOWS
    at = (t0[:, None] + (t1 - t0)[:, None] * frac[None, :]).ravel()
    x = np.stack([np.interp(at, times, mfcc[:, c]) for c in range(MFCC_COEFFS)], axis=1)
    x = x.reshape(len(starts), BLOCK_WINDOWS, MFCC_COEFFS)
    x = x - x.mean(axis=1, keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    scaled: np.ndarray = x / np.where(std > 1e-8, std, 1.0)
    return scaled.astype(np.float32)


def ssm_blocks(windows: np.ndarray) -> np.ndarray:
    """Euclidean self-similarity of each block's windows (n, 40, 20), upper triangle -> (n, SSM_DIM)."""
    sq = np.einsum("nwc,nwc->nw", windows, windows)
    gram = windows @ windows.transpose(0, 2, 1)
    dist = np.sqrt(np.maximum(sq[:, :, None] + sq[:, None, :] - 2.0 * gram, 0.0))
    iu = np.triu_indices(BLOCK_WINDOWS, k=1)
    upper: np.ndarray = dist[:, iu[0], iu[1]]
    return upper


def level_blocks(
    beats: np.ndarray,
    *,
    chroma: np.ndarray,
    mfcc: np.ndarray,
    mfcc_times: np.ndarray,
    sr: int = SAMPLE_RATE,
    max_blocks: int = MAX_BLOCKS,
) -> BlockLevel:
    """The blocks of one tempo level from beat times (n_beats,) in seconds."""
    tempo = beat_tempo(beats)
    starts = block_starts(len(beats), max_blocks=max_blocks)
    if len(starts) == 0:
        return BlockLevel(
            tempo=tempo,
            beats=np.zeros(0, dtype=np.float32),
            hpcp=np.zeros((0, HPCP_DIM), dtype=np.float16),
            mfcc=np.zeros((0, MFCC_DIM), dtype=np.float16),
            ssm=np.zeros((0, SSM_DIM), dtype=np.float16),
        )
    windows = mfcc_blocks(mfcc, mfcc_times, beats, starts)
    return BlockLevel(
        tempo=tempo,
        beats=beats[starts].astype(np.float32),
        hpcp=hpcp_blocks(beat_chroma(chroma, beats, sr=sr), starts).astype(np.float16),
        mfcc=windows.reshape(len(starts), -1).astype(np.float16),
        ssm=ssm_blocks(windows).astype(np.float16),
    )


def block_levels(
    y: np.ndarray,
    *,
    sr: int = SAMPLE_RATE,
    chroma: np.ndarray | None = None,
    max_blocks: int = MAX_BLOCKS,
) -> list[BlockLevel]:
    """Blocks at every distinct tempo level of a mono signal y (n_samples,).

    chroma: the song's raw HPCP (12, n_frames) from model.hpcp.hpcp at hop 512, reused so HPCP
    is computed once (computed here when None). Songs too short for one 20-beat block give levels
    with 0 blocks; a signal without onsets gives no levels. Early fusion scores both as 0.
    """
    if chroma is None:
        from model.hpcp import hpcp

        chroma = hpcp(y, sr=sr)
    levels = beat_levels(y, sr=sr)
    if not levels:
        return []
    mfcc, times = mfcc_frames(y, sr=sr)
    return [
        level_blocks(
            beats, chroma=chroma, mfcc=mfcc, mfcc_times=times, sr=sr, max_blocks=max_blocks
        )
        for beats in levels
    ]
