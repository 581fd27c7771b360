"""What a Qmax alignment explains: the key shift, the matched passages, the picture.

The alignment itself is ``model.qmax`` (the one Qmax in the codebase); this module turns its
Smith-Waterman score matrix into time ranges of matching passages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.constants import ALIGN_DOWNSAMPLE, ALIGN_FPS
from model.hpcp import block_mean
from model.qmax import QmaxResult, qmax

MAX_MATCHES = 3
MAX_CANDIDATES = 500


@dataclass(frozen=True)
class Match:
    """A passage of song A that matches a passage of song B (seconds) and its alignment score."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float
    score: float


@dataclass
class Alignment:
    """Result of aligning B against A.

    ``distance`` is the Qmax distance of ``model.qmax`` (both directions averaged, smaller =
    more similar, ``NO_ALIGNMENT_DISTANCE`` when nothing aligns). ``key_shift`` is the semitones B must be moved up to sound in A's key.
    ``cross_similarity`` is the binary (frames_a, frames_b) matrix behind the verdict.
    """

    distance: float
    key_shift: int
    matches: list[Match] = field(default_factory=list)
    cross_similarity: np.ndarray | None = None
    score_matrix: np.ndarray | None = None


def alignment_of(result: QmaxResult, *, fps: float = ALIGN_FPS) -> Alignment:
    """The ``Alignment`` of a Qmax computed with ``explain=True`` on chroma at ``fps``."""
    scores = result.score_matrix
    return Alignment(
        distance=result.distance,
        key_shift=result.key_shift,
        matches=[] if scores is None else trace_matches(scores, fps=fps, span=result.stack),
        cross_similarity=result.cross_similarity,
        score_matrix=scores,
    )


def align(
    chroma_a: np.ndarray,
    chroma_b: np.ndarray,
    *,
    block: int = ALIGN_DOWNSAMPLE,
    explain: bool = True,
) -> Alignment:
    """Align raw HPCP (12, n_a) and (12, n_b) pooled over ``block`` frames; see ``Alignment``.

    ``explain=False`` skips tracing matches and drops the matrices (bulk scoring).
    """
    a, b = block_mean(chroma_a, block), block_mean(chroma_b, block)
    result = qmax(a, b, explain=explain)
    if not explain:
        return Alignment(distance=result.distance, key_shift=result.key_shift)
    return alignment_of(result, fps=ALIGN_FPS * ALIGN_DOWNSAMPLE / block)


def trace_matches(scores: np.ndarray, *, fps: float, span: int = 1) -> list[Match]:
    """The best distinct local alignments in a Smith-Waterman score matrix, as time ranges.

    A path ends at a cell that a match raised above all its serra09 predecessors
    ((i-1, j-1), (i-2, j-1), (i-1, j-2)); from the highest such ends we walk back along the
    best predecessor until the score reaches zero. Paths that overlap a better one in either
    song, or score under a third of the best, are dropped.
    """
    s = np.asarray(scores, dtype=np.float32)
    if s.ndim != 2 or s.size == 0 or float(s.max()) <= 0:
        return []
    padded = np.pad(s, ((2, 0), (2, 0)))
    before = np.maximum.reduce([padded[1:-1, 1:-1], padded[:-2, 1:-1], padded[1:-1, :-2]])
    ends = np.argwhere((s > before) & (s >= s.max() / 3))
    order = np.argsort(-s[ends[:, 0], ends[:, 1]], kind="stable")
    matches: list[Match] = []
    taken: list[tuple[int, int, int, int]] = []
    for end_i, end_j in ends[order[:MAX_CANDIDATES]]:
        i, j = int(end_i), int(end_j)
        if any(_overlaps((i, i, j, j), other) for other in taken):
            continue
        while True:
            steps = [
                (p, q)
                for p, q in ((i - 1, j - 1), (i - 2, j - 1), (i - 1, j - 2))
                if p >= 0 and q >= 0
            ]
            if not steps:
                break
            p, q = max(steps, key=lambda c: s[c])
            if s[p, q] <= 0:
                break
            i, j = p, q
        box = (i, int(end_i), j, int(end_j))
        if any(_overlaps(box, other) for other in taken):
            continue
        taken.append(box)
        matches.append(
            Match(
                a_start=round(i / fps, 2),
                a_end=round((int(end_i) + span) / fps, 2),
                b_start=round(j / fps, 2),
                b_end=round((int(end_j) + span) / fps, 2),
                score=round(float(s[end_i, end_j]), 2),
            )
        )
        if len(matches) == MAX_MATCHES:
            break
    return matches


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two paths (i0, i1, j0, j1) share time in song A or in song B."""
    return not (a[1] < b[0] or b[1] < a[0]) or not (a[3] < b[2] or b[3] < a[2])
