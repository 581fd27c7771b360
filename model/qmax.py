"""Serra'09 Qmax between two songs' pooled HPCP, done right.

The binary cross-similarity is Essentia's ``ChromaCrossSimilarity(frameStackSize=9,
binarizePercentile=0.095)`` rewritten in numpy: B is moved to A's key (OTI), 9 consecutive
frames are stacked into one vector, and cell (i, j) is 1 when the Euclidean distance of the
stacks is within the 9.5th percentile of its row AND of its column. Two Essentia pitfalls
are avoided: its percentile returns 0 whenever ``(n - 1) * 0.095`` is a whole number (stacked
lengths 201, 401, ...: nothing matches), and silent passages would match each other (here a
silent stack matches nothing). The Smith-Waterman alignment with Serra'09 local constraints
is Essentia's ``CoverSongSimilarity``; the asymmetric distances with each song as the query
(sqrt(reference length) / best score) are averaged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FRAME_STACK = 9
BINARIZE_PERCENTILE = 0.095
NO_ALIGNMENT_DISTANCE = 100.0
"""Distance when nothing aligns (or a song is too short to stack): finite, and larger than
any real Qmax distance (sqrt(stacked length) / best score <= sqrt(n) ~ 50 for 15 minutes)."""
SILENT_STACK = 1e-6
"""A stacked vector with a norm below this is silence and matches nothing."""


@dataclass(frozen=True)
class QmaxResult:
    """Qmax of songs A and B.

    ``distance`` is the mean of the two asymmetric Serra'09 distances (A as query, then B),
    always finite: ``NO_ALIGNMENT_DISTANCE`` when nothing aligns. ``key_shift`` is the
    semitones B moves up to sound in A's key. With ``explain``: ``cross_similarity`` the binary
    (n_a - stack, n_b - stack) matrix and ``score_matrix`` its Smith-Waterman scores.
    """

    distance: float
    forward: float
    backward: float
    key_shift: int
    stack: int = FRAME_STACK
    cross_similarity: np.ndarray | None = None
    score_matrix: np.ndarray | None = None

    @property
    def aligned(self) -> bool:
        return self.distance < NO_ALIGNMENT_DISTANCE


def optimal_transposition(a: np.ndarray, b: np.ndarray) -> int:
    """OTI: the roll of B's chroma (12, n_b) whose global profile best matches A's (12, n_a).

    Returned as a signed shift in -5..6 semitones (``np.roll(b, shift, axis=0)``).
    """
    pa, pb = a.mean(axis=1), b.mean(axis=1)
    pa = pa / (np.linalg.norm(pa) + 1e-9)
    pb = pb / (np.linalg.norm(pb) + 1e-9)
    scores = [float(pa @ np.roll(pb, k)) for k in range(12)]
    k = int(np.argmax(scores))
    return k - 12 if k > 6 else k


def stack_frames(chroma: np.ndarray, *, stack: int = FRAME_STACK) -> np.ndarray:
    """Delay embedding as Essentia does it: (12, n) -> (n - stack, 12 * stack) float64."""
    frames = np.ascontiguousarray(chroma.T, dtype=np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(frames, stack, axis=0)
    return windows[: frames.shape[0] - stack].reshape(frames.shape[0] - stack, -1)


def percentile_linear(d: np.ndarray, q: float, *, axis: int) -> np.ndarray:
    """The ``q`` (0..1) quantile of ``d`` along ``axis`` with linear interpolation (numpy's
    default), computed by partial sorting."""
    d = np.moveaxis(d, axis, -1)
    k = (d.shape[-1] - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    part = np.partition(d, sorted({lo, hi}), axis=-1)
    quantile: np.ndarray = part[..., lo] + (k - lo) * (part[..., hi] - part[..., lo])
    return quantile


def cross_similarity(
    a: np.ndarray,
    b: np.ndarray,
    *,
    stack: int = FRAME_STACK,
    percentile: float = BINARIZE_PERCENTILE,
) -> np.ndarray:
    """Binary cross-recurrence of chroma (12, n_a) and (12, n_b), B already in A's key.

    Returns float32 (n_a - stack, n_b - stack), 1 where the stacked frames are mutual near
    neighbours (within ``percentile`` of their row and of their column); silent stacks are 0.
    """
    sa, sb = stack_frames(a, stack=stack), stack_frames(b, stack=stack)
    na, nb = (sa * sa).sum(axis=1), (sb * sb).sum(axis=1)
    d = np.sqrt(np.maximum(na[:, None] + nb[None, :] - 2.0 * (sa @ sb.T), 0.0))
    rows = percentile_linear(d, percentile, axis=1)
    cols = percentile_linear(d, percentile, axis=0)
    binary: np.ndarray = (d <= rows[:, None]) & (d <= cols[None, :])
    binary[np.sqrt(na) < SILENT_STACK, :] = False
    binary[:, np.sqrt(nb) < SILENT_STACK] = False
    return binary.astype(np.float32)


def qmax(a: np.ndarray, b: np.ndarray, *, explain: bool = False) -> QmaxResult:
    """Qmax of pooled chroma (12, n_a) and (12, n_b); see ``QmaxResult``."""
    import essentia.standard as es

    shift = optimal_transposition(a, b)
    if min(a.shape[1], b.shape[1]) - FRAME_STACK < 2:
        return QmaxResult(
            NO_ALIGNMENT_DISTANCE, NO_ALIGNMENT_DISTANCE, NO_ALIGNMENT_DISTANCE, shift
        )
    csm = cross_similarity(a, np.roll(b, shift, axis=0))
    # Serra'09 steps (1,1), (2,1), (1,2) mirror each other, so the best local alignment of the
    # transposed matrix (B as the query) scores the same: one run gives both directions.
    # A list of row arrays reaches the C++ side without Essentia's per-element Python copy
    # (the same scores, several times faster on small matrices).
    align = es.CoverSongSimilarity(alignmentType="serra09", distanceType="asymmetric")
    scores, _ = align(list(csm))
    scores = np.asarray(scores, dtype=np.float32)
    forward = _distance(scores, reference_length=csm.shape[1])
    backward = _distance(scores, reference_length=csm.shape[0])
    return QmaxResult(
        distance=(forward + backward) / 2.0,
        forward=forward,
        backward=backward,
        key_shift=shift,
        cross_similarity=csm if explain else None,
        score_matrix=scores if explain else None,
    )


def _distance(scores: np.ndarray, *, reference_length: int) -> float:
    """Serra'09 asymmetric distance sqrt(reference length) / best score, as Essentia defines
    it, but ``NO_ALIGNMENT_DISTANCE`` instead of inf when no cell scored."""
    best = float(scores.max()) if scores.size else 0.0
    if not math.isfinite(best) or best <= 0.0:
        return NO_ALIGNMENT_DISTANCE
    return min(math.sqrt(reference_length) / best, NO_ALIGNMENT_DISTANCE)
