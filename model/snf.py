"""Similarity network fusion (Wang et al. 2014) and the alignment it feeds (Serra et al. 2009).

Used twice: early fusion fuses the block similarities of one pair of songs before alignment
(``model.early``); late fusion fuses song-by-song scores over a collection (``late_fusion``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from scipy import sparse

from model.errors import InvalidInput

GAP_ONSET = 0.5
"""Smith-Waterman penalty for opening a disruption (the previous cell matched)."""
GAP_EXTENSION = 0.7
"""Penalty for extending a disruption (the previous cell did not match)."""
MU = 0.5
"""Kernel width relative to the local neighbour scale (Wang et al.)."""


def _smallest_mask(d: np.ndarray, k: int) -> np.ndarray:
    """True at the k smallest entries of each row of d (ties broken deterministically)."""
    mask = d <= np.partition(d, k - 1, axis=1)[:, k - 1 : k]
    if np.any(mask.sum(axis=1) > k):  # ties at the cut-off: take exactly k
        mask = np.zeros(d.shape, dtype=bool)
        np.put_along_axis(mask, np.argpartition(d, k - 1, axis=1)[:, :k], True, axis=1)
    return mask


def mutual_knn_binarise(d: np.ndarray, *, kappa: float = 0.1) -> np.ndarray:
    """Mutual nearest neighbours of a distance matrix d (M, N) -> (M, N) float32 in {0, 1}.

    Cell (i, j) is 1 when d[i, j] is among the round(kappa * N) smallest of row i and among the
    round(kappa * M) smallest of column j (at least 1 each). Exactly that many are taken per row
    and column even when values tie, so a featureless song cannot light up the whole matrix.
    """
    m, n = d.shape
    if m == 0 or n == 0:
        return np.zeros((m, n), dtype=np.float32)
    k_row = min(n, max(1, round(kappa * n)))
    k_col = min(m, max(1, round(kappa * m)))
    both: np.ndarray = _smallest_mask(d, k_row) & _smallest_mask(np.ascontiguousarray(d.T), k_col).T
    return both.astype(np.float32)


def smith_waterman(binary: np.ndarray) -> float:
    """Best local alignment score of a binary cross-similarity (M, N), Serra'09 constraints.

    Steps (1,1), (2,1), (1,2); a match adds 1, a non-match subtracts GAP_ONSET after a match and
    GAP_EXTENSION after a non-match; scores never drop below 0. Computed by Essentia's
    CoverSongSimilarity, which never scores its first two rows and columns: we pad two empty
    rows and columns in front so every cell of ``binary`` can be aligned.
    """
    import essentia.standard as es

    m, n = binary.shape
    if m == 0 or n == 0 or not np.any(binary):
        return 0.0
    padded = np.zeros((m + 2, n + 2), dtype=np.float32)
    padded[2:, 2:] = binary
    align = es.CoverSongSimilarity(
        alignmentType="serra09",
        disOnset=GAP_ONSET,
        disExtension=GAP_EXTENSION,
        distanceType="symmetric",
    )
    # A list of row arrays reaches the C++ side without Essentia's per-element Python copy.
    _, score = align(list(padded))
    return float(score)


def neighbour_scale(d: np.ndarray, *, k: int, axis: int = 1) -> np.ndarray:
    """Mean of the k smallest distances along an axis (its self-distance included) -> 1-D."""
    size = d.shape[axis]
    if size == 0:
        return np.zeros(d.shape[1 - axis], dtype=np.float32)
    k = min(k, size)
    nearest = np.partition(d, k - 1, axis=axis).take(np.arange(k), axis=axis)
    scale: np.ndarray = nearest.mean(axis=axis)
    return scale


def affinity(
    d: np.ndarray, row_scale: np.ndarray, col_scale: np.ndarray, *, mu: float = MU
) -> np.ndarray:
    """Gaussian affinity exp(-d^2 / (2 (mu sigma)^2)), sigma_ij = (r_i + c_j + d_ij) / 3 (Wang)."""
    sigma = (row_scale[:, None] + col_scale[None, :] + d) / 3.0
    sigma = np.maximum(mu * sigma, 1e-12)
    w: np.ndarray = np.exp(-(d**2) / (2.0 * sigma**2))
    return w.astype(np.float32)


def full_kernel(w: np.ndarray) -> np.ndarray:
    """P: each row's off-diagonal affinities scaled to sum 1/2, the diagonal set to 1/2. (n, n)."""
    p = w.astype(np.float32, copy=True)
    np.fill_diagonal(p, 0.0)
    rows = p.sum(axis=1, keepdims=True)
    p /= 2.0 * np.where(rows > 0, rows, 1.0)
    np.fill_diagonal(p, 0.5)
    return p


def sparse_kernel(w: np.ndarray, *, k: int) -> sparse.csr_matrix:
    """S: each row keeps its k largest affinities (itself included), row-normalised. (n, n) CSR."""
    n = w.shape[0]
    k = min(k, n)
    keep = w >= -np.partition(-w, k - 1, axis=1)[:, k - 1 : k]
    if np.all(keep.sum(axis=1) == k):  # no ties at the cut-off: the mask is the neighbour list
        cols = np.nonzero(keep)[1].reshape(n, k)
    else:
        cols = np.argpartition(-w, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(w, cols, axis=1).astype(np.float32)
    sums = vals.sum(axis=1, keepdims=True)
    vals /= np.where(sums > 0, sums, 1.0)
    indptr = np.arange(0, n * k + 1, k)
    return sparse.csr_matrix((vals.ravel(), cols.ravel(), indptr), shape=(n, n))


DENSE_UP_TO = 256
"""Late fusion over at most this many songs keeps S dense: on a ranked song's neighbourhood
(~20-40 songs) scipy.sparse's per-call overhead outweighs the products themselves."""

Kernel: TypeAlias = sparse.csr_matrix | np.ndarray
"""S of an SNF step: sparse CSR, or a dense array for small collections (same products)."""


def _normalise(p: np.ndarray, identity: float) -> np.ndarray:
    """Add identity * I, scale rows to sum 1 and symmetrise: the regularised SNF update."""
    if identity:
        p.flat[:: p.shape[0] + 1] += identity
    sums = p.sum(axis=1, keepdims=True)
    p /= np.where(sums > 0, sums, 1.0)
    out: np.ndarray = p + p.T
    out *= 0.5
    return out


def _others(ps: Sequence[np.ndarray]) -> list[np.ndarray]:
    """For each P, the mean of the other P's (a single P is fused with itself)."""
    if len(ps) == 1:
        return [ps[0]]
    total = sum(ps)
    return [(total - p) / (len(ps) - 1) for p in ps]


def snf_step(
    ps: Sequence[np.ndarray], ss: Sequence[Kernel], *, identity: float = 1.0
) -> list[np.ndarray]:
    """One SNF iteration: P_f <- S_f (mean of the other P) S_f^T, plus ``identity`` * I,
    rows scaled to sum 1, symmetrised. ps: dense (n, n) P per feature, ss: (n, n) S (sparse, or
    dense for a small collection)."""
    return [_normalise(_sandwich(s, o), identity) for s, o in zip(ss, _others(ps), strict=True)]


def snf_cross_block(
    ps: Sequence[np.ndarray],
    ss: Sequence[sparse.csr_matrix],
    *,
    split: int,
    identity: float = 1.0,
    symmetric: bool = False,
) -> np.ndarray:
    """The rows [:split] x columns [split:] block of the mean P after one more ``snf_step``,
    without forming the full matrices. -> (split, n - split) float32.

    symmetric: every P in ``ps`` is symmetric (true of what ``snf_step`` returns), which saves
    one product per feature."""
    n = ps[0].shape[0]
    ones = np.ones(n, dtype=np.float32)
    fused = np.zeros((split, n - split), dtype=np.float32)
    for s, o in zip(ss, _others(ps), strict=True):
        # Row sums of S O S^T + identity * I, then the symmetrised, row-normalised block.
        sums = np.asarray(s @ (o @ (s.T @ ones)), dtype=np.float32).ravel() + identity
        sums = np.where(sums > 0, sums, 1.0)
        top = s[:split]
        cross = np.asarray(s[split:] @ np.asarray(top @ o).T, dtype=np.float32).T
        # (S O S^T)[B, A]^T equals the A-B block when O is symmetric.
        back = cross if symmetric else np.asarray(top @ (s[split:] @ o).T)
        fused += 0.5 * (cross / sums[:split, None] + back / sums[None, split:])
    return fused / len(ps)


def snf(
    affinities: Sequence[np.ndarray],
    *,
    k: int = 20,
    iterations: int = 20,
    identity: float = 1.0,
) -> np.ndarray:
    """Fuse (n, n) affinity matrices by similarity network fusion -> the mean fused P (n, n).

    Each iteration sets P_f <- S_f (mean of the other P) S_f^T, then adds ``identity`` times the
    identity matrix, row-normalises and symmetrises (without the identity term many iterations
    diffuse every row to the same distribution). A single matrix is fused with itself.
    """
    if not affinities:
        raise InvalidInput("snf needs at least one affinity matrix")
    ps = [full_kernel(w) for w in affinities]
    dense = affinities[0].shape[0] <= DENSE_UP_TO
    ss: list[Kernel] = [
        sparse_kernel(w, k=k).toarray() if dense else sparse_kernel(w, k=k) for w in affinities
    ]
    for _ in range(iterations):
        ps = snf_step(ps, ss, identity=identity)
    return np.asarray(sum(ps) / len(ps), dtype=np.float32)


def _sandwich(s: Kernel, p: np.ndarray) -> np.ndarray:
    """S P S^T for S (n, n), sparse or dense, and dense P (n, n) -> dense (n, n) float32."""
    left = np.asarray(s @ p, dtype=np.float32)
    return np.asarray(s @ left.T, dtype=np.float32).T.copy()


def similarity_to_distance(s: np.ndarray) -> np.ndarray:
    """(n, n) similarities (larger = more alike) -> symmetric distances >= 0, zero diagonal."""
    s = 0.5 * (s + s.T)
    off = ~np.eye(s.shape[0], dtype=bool)
    top = float(s[off].max()) if np.any(off) else 0.0
    d = np.maximum(top - s, 0.0)
    np.fill_diagonal(d, 0.0)
    return d.astype(np.float32)


def late_fusion(
    similarities: Sequence[np.ndarray], *, k: int = 20, iterations: int = 20
) -> np.ndarray:
    """(n, n) similarity matrices (larger = more alike; one per score type, over a collection of
    songs) -> one fused (n, n) similarity; SNF with the identity term added after each iteration.

    Each matrix is symmetrised and turned into distances (its largest off-diagonal similarity
    minus each value), then into affinities with scales from each song's k nearest neighbours.
    """
    if not similarities:
        raise InvalidInput("late_fusion needs at least one similarity matrix")
    n = similarities[0].shape[0]
    if any(s.shape != (n, n) for s in similarities):
        raise InvalidInput("late_fusion needs square matrices of one size")
    if n < 2:
        return np.ones((n, n), dtype=np.float32)
    k = min(k, n - 1)
    weights = []
    for s in similarities:
        d = similarity_to_distance(np.asarray(s, dtype=np.float64))
        scale = neighbour_scale(d, k=k + 1)
        weights.append(affinity(d, scale, scale))
    return snf(weights, k=k, iterations=iterations)
