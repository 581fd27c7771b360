"""The first stage of a library search: which songs are worth the full pair scorer.

An embedding shortlist (cheap: one vector distance per song) is re-ordered by a coarse Qmax on
``SongAnalysis.coarse`` (HPCP pooled over 64 frames, ~1.5 s per frame) and the embedding
together: the sum of the two distances, each z-scored over the shortlist. The coarse Qmax is the
Serra'09 alignment of ``model.qmax`` at a quarter of the time resolution, ~20 times cheaper
than the full Qmax; it and the embedding miss different versions, and on real recordings
(``benchmarks/first_stage_real.py``) their sum finds more than either alone. The best
``CANDIDATES`` are what the fused scorer (``model.score``) sees, and become the song's edges in
the library graph (``model.library``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from model.analysis import SongAnalysis
from model.errors import InvalidInput
from model.qmax import qmax

SHORTLIST = 200
"""Embedding neighbours re-ordered (by the coarse Qmax and the embedding) per song."""
CANDIDATES = 20
"""Songs fused-scored per added song: the graph out-degree the API ships."""


def coarse_distance(a: SongAnalysis, b: SongAnalysis) -> float:
    """Log Qmax distance of two songs' coarse chroma, both directions averaged (lower = closer).

    The log tames the long tail of unaligned pairs (``model.qmax.NO_ALIGNMENT_DISTANCE``), as
    the scorer's ``qmax`` component does."""
    result = qmax(a.coarse.astype(np.float32), b.coarse.astype(np.float32))
    return math.log(result.distance)


PairDistance = Callable[[SongAnalysis, SongAnalysis], float]


def coarse_distances(
    query: SongAnalysis,
    others: Sequence[SongAnalysis],
    *,
    distance: PairDistance = coarse_distance,
) -> np.ndarray:
    """(n,) coarse distances of ``query`` to each of ``others``, z-scored over ``others``
    (lower = closer). z-scoring puts queries of different lengths and styles on one scale, so
    that distances of different queries can be compared (or averaged into a symmetric one).
    ``distance`` is ``coarse_distance`` or a cache of it (an evaluation's)."""
    d = np.array([distance(query, other) for other in others], dtype=np.float64)
    return zscore(d)


def zscore(d: np.ndarray) -> np.ndarray:
    """(n,) values minus their mean over their standard deviation (0 when all are equal)."""
    if d.size == 0:
        return d
    std = float(d.std())
    centred: np.ndarray = d - d.mean()
    return centred / std if std > 0 else centred


def embedding_distances(query: SongAnalysis, others: Sequence[SongAnalysis]) -> np.ndarray:
    """(n,) Euclidean distances of the query's embedding to each of ``others`` (unit vectors,
    0..2). ``InvalidInput`` when a song has no embedding or another model embedded it."""
    if query.embedding is None or any(o.embedding is None for o in others):
        raise InvalidInput("the embedding shortlist needs every song's embedding")
    if any(o.embedding_version != query.embedding_version for o in others):
        raise InvalidInput("the songs were embedded by different models")
    if not others:
        return np.zeros(0, dtype=np.float64)
    matrix = np.stack([np.asarray(o.embedding, dtype=np.float64) for o in others])
    out: np.ndarray = np.linalg.norm(matrix - np.asarray(query.embedding, np.float64), axis=1)
    return out


def shortlist_indices(embedding_distances: np.ndarray | None, *, n: int, size: int) -> np.ndarray:
    """Indices (0..n-1) of the ``size`` smallest embedding distances, nearest first (stable on
    ties); all n indices in order when ``embedding_distances`` is None (no shortlist)."""
    if embedding_distances is None:
        return np.arange(n)
    d = np.asarray(embedding_distances, dtype=np.float64)
    if d.shape != (n,):
        raise InvalidInput(f"embedding distances of shape {d.shape}, expected ({n},)")
    order: np.ndarray = np.argsort(d, kind="stable")
    return order[:size]


def candidates(
    query: SongAnalysis,
    others: Sequence[SongAnalysis],
    *,
    embedding_distances: np.ndarray | None = None,
    shortlist: int = SHORTLIST,
    count: int = CANDIDATES,
    distance: PairDistance = coarse_distance,
) -> np.ndarray:
    """Indices into ``others`` (best first, at most ``count``): the ``shortlist`` nearest by
    ``embedding_distances`` ((n,)) ordered by ``shortlist_key`` of their coarse distances (with
    ``distance``, see ``coarse_distances``) and embedding distances; with no embedding
    distances, every song ordered by the coarse distance alone. Ties keep the embedding order."""
    if shortlist < 1 or count < 1:
        raise InvalidInput("the shortlist and the candidate count must be positive")
    chosen = shortlist_indices(embedding_distances, n=len(others), size=shortlist)
    if chosen.size == 0:
        return chosen
    coarse = coarse_distances(query, [others[int(i)] for i in chosen], distance=distance)
    embedding = None if embedding_distances is None else np.asarray(embedding_distances)[chosen]
    return order_shortlist(chosen, shortlist_key(coarse, embedding), count=count)


def shortlist_key(coarse: np.ndarray, embedding: np.ndarray | None) -> np.ndarray:
    """(k,) order key of a shortlist, lower first: its coarse distances (k,), z-scored over the
    shortlist, plus its embedding distances (k,) z-scored the same way (equal weights: the two
    are on one scale and neither is favoured a priori); the coarse alone when None."""
    key = zscore(np.asarray(coarse, dtype=np.float64))
    if embedding is None:
        return key
    out: np.ndarray = key + zscore(np.asarray(embedding, dtype=np.float64))
    return out


def order_shortlist(chosen: np.ndarray, key: np.ndarray, *, count: int) -> np.ndarray:
    """The ``count`` best of the shortlisted indices ``chosen`` (k,) by their ``key`` (k,),
    lower first; ties keep the shortlist (embedding) order."""
    order = np.argsort(np.asarray(key, dtype=np.float64), kind="stable")
    out: np.ndarray = np.asarray(chosen)[order[:count]]
    return out
