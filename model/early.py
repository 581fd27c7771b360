"""Early fusion of HPCP, MFCC and MFCC-SSM blocks for one pair of songs (Tralie, ISMIR 2017).

For each feature, the "parent" affinity of A followed by B (A's self-similarity, B's, and the
cross-similarity) is fused across features by similarity network fusion; the fused A-B block is
binarised by mutual nearest neighbours and aligned by Smith-Waterman. Each feature's own
cross-similarity is aligned too (the single-feature scores). Scores are length-normalised:
Smith-Waterman score / sqrt(sqrt(M * N)), the square root of the geometric-mean block count.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.blocks import BlockLevel
from model.constants import N_BINS
from model.snf import (
    affinity,
    full_kernel,
    mutual_knn_binarise,
    neighbour_scale,
    smith_waterman,
    snf_cross_block,
    snf_step,
    sparse_kernel,
)

FEATURES = ("hpcp", "mfcc", "ssm")
REFERENCE_BPM = 120.0
SCORE_BLOCKS = 256
"""Cost cap of a pair score: a level with more blocks is scored on this many, spread evenly
(block starts every ~2 beats instead of every beat for a 4-minute song at 120 bpm; the blocks
still overlap and cover the whole song). Cost grows with the product of the block counts, so
this keeps a pair of long songs near 0.1 s; chosen for cost, before any Covers80 run."""
CACHE_ENTRIES = 3 * 16
"""Per-song parts kept in process, per (level, feature): the last ~16 levels' float32 blocks
and self-affinities (~6 MB per 460-block level, ~100 MB in all)."""


@dataclass(frozen=True)
class EarlyParams:
    kappa: float = 0.1
    """Mutual nearest neighbours: the kappa fraction of each row and column."""
    k: int = 20
    """Neighbours kept per row of S, and used for the kernel scales."""
    mu: float = 0.5
    iterations: int = 3
    identity: float = 1.0
    """Identity weight added after each SNF iteration (as in late fusion)."""
    fused_pairs: int = 1
    """Level pairs early-fused per song pair, the closest in tempo first (see level_pairs)."""
    single_pairs: int = 1
    """Level pairs scored by each feature alone (cheaper: no fusion). One, like the fused
    score, so a Covers80 run fits in an hour on 2 cores (cost, not accuracy, decided it)."""


@dataclass(frozen=True)
class EarlyScore:
    fused: float
    """Length-normalised Smith-Waterman score of the early-fused matrix (larger = more alike),
    best over the level pairs tried."""
    hpcp: float
    mfcc: float
    ssm: float
    levels: tuple[int, int]
    """Level pair (index into a, index into b) that gave ``fused``; (-1, -1) when none."""
    matrix: np.ndarray | None = None
    """The fused binary (n_a, n_b) matrix of that level pair when explain=True."""
    beats_a: np.ndarray | None = None
    """Block start times of that level (for tracing passages), when explain=True."""
    beats_b: np.ndarray | None = None


@dataclass(frozen=True)
class _Blocks:
    """One level's blocks of one feature as float32, with their squared norms."""

    x: np.ndarray  # (n, d)
    sq: np.ndarray  # (n,)


def level_pairs(a: Sequence[BlockLevel], b: Sequence[BlockLevel]) -> list[tuple[int, int]]:
    """Level pairs with blocks, most promising first: closest tempo ratio, then nearest 120 bpm."""

    def cost(pair: tuple[int, int]) -> float:
        ta, tb = a[pair[0]].tempo, b[pair[1]].tempo
        return abs(math.log2(ta / tb)) + 0.25 * abs(math.log2(math.sqrt(ta * tb) / REFERENCE_BPM))

    pairs = [
        (i, j)
        for i in range(len(a))
        for j in range(len(b))
        if a[i].n_blocks > 0 and b[j].n_blocks > 0 and a[i].tempo > 0 and b[j].tempo > 0
    ]
    return sorted(pairs, key=cost)


def _distances(a: np.ndarray, sq_a: np.ndarray, b: np.ndarray, sq_b: np.ndarray) -> np.ndarray:
    """Euclidean distances between rows of a (M, d) and b (N, d) -> (M, N) float32."""
    squared = sq_a[:, None] + sq_b[None, :] - 2.0 * (a @ b.T)
    distances: np.ndarray = np.sqrt(np.maximum(squared, 0.0))
    return distances


def scored_blocks(n_blocks: int, *, limit: int = SCORE_BLOCKS) -> np.ndarray:
    """Indices of the blocks a pair score uses: all of them up to ``limit``, else ``limit``
    spread evenly from the first to the last."""
    if n_blocks <= limit:
        return np.arange(n_blocks)
    return np.unique(np.linspace(0, n_blocks - 1, limit).round().astype(np.int64))


@functools.lru_cache(maxsize=CACHE_ENTRIES)
def _blocks(level: BlockLevel, feature: str) -> _Blocks:
    """A level's scored blocks of one feature in float32 (cached by level identity)."""
    x = np.asarray(getattr(level, feature), dtype=np.float32)[scored_blocks(level.n_blocks)]
    return _Blocks(x=x, sq=np.einsum("ij,ij->i", x, x))


@functools.lru_cache(maxsize=CACHE_ENTRIES)
def _self_affinity(level: BlockLevel, feature: str, k: int, mu: float) -> np.ndarray:
    """(n, n) affinity of a level's blocks among themselves, with scales from the level's own
    k nearest neighbours (cached by level identity: it does not depend on the other song)."""
    blocks = _blocks(level, feature)
    d = _distances(blocks.x, blocks.sq, blocks.x, blocks.sq)
    np.fill_diagonal(d, 0.0)
    scale = neighbour_scale(d, k=k)
    return affinity(d, scale, scale, mu=mu)


def transposition(a: np.ndarray, b: np.ndarray) -> int:
    """Optimal transposition index: the roll of B's mean chroma best matching A's (0..11).

    a, b: HPCP blocks (n, 2 * 20 * 12)."""
    mean_a = a.reshape(a.shape[0], -1, N_BINS).mean(axis=(0, 1))
    mean_b = b.reshape(b.shape[0], -1, N_BINS).mean(axis=(0, 1))
    return int(np.argmax([mean_a @ np.roll(mean_b, s) for s in range(N_BINS)]))


def _cross_distances(a: BlockLevel, b: BlockLevel, feature: str) -> np.ndarray:
    """(M, N) distances between A's and B's blocks; HPCP after the optimal transposition."""
    pa, pb = _blocks(a, feature), _blocks(b, feature)
    xb = pb.x
    if feature == "hpcp":
        shift = transposition(pa.x, xb)
        xb = np.roll(xb.reshape(xb.shape[0], -1, N_BINS), shift, axis=2).reshape(xb.shape)
    return _distances(pa.x, pa.sq, xb, pb.sq)


def _score(binary: np.ndarray) -> float:
    """Smith-Waterman score / sqrt(sqrt(M * N))."""
    m, n = binary.shape
    if m == 0 or n == 0:
        return 0.0
    return smith_waterman(binary) / math.sqrt(math.sqrt(m * n))


def _fuse(
    a: BlockLevel, b: BlockLevel, crosses: Sequence[np.ndarray], params: EarlyParams
) -> np.ndarray:
    """Early-fused A-B probabilities (M, N) from each feature's parent affinity matrix."""
    m = crosses[0].shape[0]
    ps, ss = [], []
    for feature, d in zip(FEATURES, crosses, strict=True):
        w_ab = affinity(
            d,
            neighbour_scale(d, k=params.k, axis=1),
            neighbour_scale(d, k=params.k, axis=0),
            mu=params.mu,
        )
        w_aa = _self_affinity(a, feature, params.k, params.mu)
        w_bb = _self_affinity(b, feature, params.k, params.mu)
        parent = np.block([[w_aa, w_ab], [w_ab.T, w_bb]])
        ps.append(full_kernel(parent))
        ss.append(sparse_kernel(parent, k=params.k))
    for _ in range(params.iterations - 1):
        ps = snf_step(ps, ss, identity=params.identity)
    return snf_cross_block(
        ps, ss, split=m, identity=params.identity, symmetric=params.iterations > 1
    )


def early_fusion(
    a: Sequence[BlockLevel],
    b: Sequence[BlockLevel],
    *,
    params: EarlyParams | None = None,
    explain: bool = False,
) -> EarlyScore:
    """Early-fusion and single-feature alignment scores of two songs' block levels.

    Tries ``params.fused_pairs`` level pairs for the fused score and ``params.single_pairs`` for
    the single-feature scores (see ``level_pairs``), keeping the best of each. Songs without
    blocks score 0 everywhere.
    """
    params = params or EarlyParams()
    pairs = level_pairs(a, b)
    best = {f: 0.0 for f in (*FEATURES, "fused")}
    best_pair, best_matrix = (-1, -1), None
    for rank, (i, j) in enumerate(pairs[: max(params.fused_pairs, params.single_pairs)]):
        crosses = [_cross_distances(a[i], b[j], f) for f in FEATURES]
        if rank < params.single_pairs:
            for f, d in zip(FEATURES, crosses, strict=True):
                best[f] = max(best[f], _score(mutual_knn_binarise(d, kappa=params.kappa)))
        if rank < params.fused_pairs:
            fused = _fuse(a[i], b[j], crosses, params)
            binary = mutual_knn_binarise(-fused, kappa=params.kappa)
            score = _score(binary)
            if score > best["fused"] or best_matrix is None:
                best["fused"], best_pair, best_matrix = score, (i, j), binary
    return EarlyScore(
        fused=best["fused"],
        hpcp=best["hpcp"],
        mfcc=best["mfcc"],
        ssm=best["ssm"],
        levels=best_pair,
        matrix=best_matrix if explain else None,
        beats_a=_scored_beats(a[best_pair[0]]) if explain and best_matrix is not None else None,
        beats_b=_scored_beats(b[best_pair[1]]) if explain and best_matrix is not None else None,
    )


def _scored_beats(level: BlockLevel) -> np.ndarray:
    """Start times of the blocks a pair score used (rows / columns of its matrix)."""
    if level.n_blocks <= SCORE_BLOCKS:
        return level.beats
    result: np.ndarray = level.beats[scored_blocks(level.n_blocks)]
    return result
