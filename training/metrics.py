"""Retrieval and verification metrics for cover song identification.

Every query is ranked against all other items (itself excluded). ``distances`` is an
(n, n) matrix, smaller = more similar; ``labels`` gives each item's work id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RetrievalScores:
    map: float
    mrr: float
    mr1: float
    p_at_10: float

    def to_dict(self) -> dict[str, float]:
        return {"MAP": self.map, "MRR": self.mrr, "MR1": self.mr1, "P@10": self.p_at_10}


def relevance_ranks(row: np.ndarray, labels: np.ndarray, query: int) -> np.ndarray:
    """1-based ranks at which item ``query``'s relevant items appear when the catalogue is
    sorted by ``row`` (its distances to every item); itself excluded, ties stable."""
    d = np.where(np.isfinite(row), row, np.inf)
    others = np.delete(np.arange(len(labels)), query)
    order = others[np.argsort(d[others], kind="stable")]
    return np.flatnonzero(labels[order] == labels[query]) + 1


def retrieval_scores(
    distances: np.ndarray, labels: np.ndarray, queries: np.ndarray | None = None
) -> RetrievalScores:
    """MAP, MRR, MR1 (mean rank of the first correct answer) and P@10 over queries with
    at least one relevant item.

    ``distances`` is (n, n), or (m, n) with ``queries`` naming the item each row queries.
    """
    labels = np.asarray(labels)
    rows = np.arange(len(labels)) if queries is None else np.asarray(queries)
    aps, rrs, firsts, p10s = [], [], [], []
    for row, q in zip(distances, rows, strict=True):
        ranks = relevance_ranks(row, labels, int(q))
        if ranks.size == 0:
            continue
        aps.append(float(np.mean(np.arange(1, ranks.size + 1) / ranks)))
        rrs.append(1.0 / ranks[0])
        firsts.append(float(ranks[0]))
        p10s.append(float(np.sum(ranks <= 10)) / 10.0)
    return RetrievalScores(
        map=float(np.mean(aps)),
        mrr=float(np.mean(rrs)),
        mr1=float(np.mean(firsts)),
        p_at_10=float(np.mean(p10s)),
    )


def recall_at_k(
    distances: np.ndarray,
    labels: np.ndarray,
    queries: np.ndarray | None = None,
    *,
    ks: tuple[int, ...] = (10, 20, 50),
) -> dict[int, float]:
    """For each k, the share of (query, relevant item) pairs whose item ranks within the query's
    top k (itself excluded): how many true versions a first stage of k candidates lets through.

    ``distances`` is (n, n), or (m, n) with ``queries`` naming the item each row queries.
    """
    labels = np.asarray(labels)
    rows = np.arange(len(labels)) if queries is None else np.asarray(queries)
    ranks = np.concatenate(
        [relevance_ranks(row, labels, int(q)) for row, q in zip(distances, rows, strict=True)]
        or [np.zeros(0)]
    )
    if ranks.size == 0:
        return {k: float("nan") for k in ks}
    return {k: float(np.mean(ranks <= k)) for k in ks}


def pair_labels(distances: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances and cover labels of every unordered pair (i < j), symmetrised by the mean."""
    sym = (distances + distances.T) / 2.0
    i, j = np.triu_indices(len(labels), k=1)
    return sym[i, j], (np.asarray(labels)[i] == np.asarray(labels)[j]).astype(np.int64)


@dataclass(frozen=True)
class Verification:
    roc_auc: float
    pr_ap: float
    roc: list[tuple[float, float, float]]
    """(false positive rate, true positive rate, distance threshold)"""
    pr: list[tuple[float, float, float]]
    """(recall, precision, distance threshold)"""


def verification(
    pair_distances: np.ndarray, is_cover: np.ndarray, *, points: int = 101
) -> Verification:
    """ROC-AUC and average precision treating ``-distance`` as the cover score.

    Non-finite distances (nothing aligned) rank as the least similar. Curves are thinned
    to about ``points`` points for plotting and the API.
    """
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    d = np.where(
        np.isfinite(pair_distances),
        pair_distances,
        np.nanmax(pair_distances[np.isfinite(pair_distances)]) * 2 + 1,
    )
    score = -d
    fpr, tpr, roc_t = roc_curve(is_cover, score)
    precision, recall, pr_t = precision_recall_curve(is_cover, score)
    # The distance at which each point applies: cover when distance <= it.
    roc_d = np.clip(-roc_t, 0.0, float(d.max()))
    pr_d = np.clip(-np.append(pr_t, -np.inf), 0.0, float(d.max()))[: len(recall)]
    return Verification(
        roc_auc=float(roc_auc_score(is_cover, score)),
        pr_ap=float(average_precision_score(is_cover, score)),
        roc=_thin(list(zip(fpr.tolist(), tpr.tolist(), roc_d.tolist(), strict=True)), points),
        pr=_thin(
            list(zip(recall.tolist(), precision.tolist(), pr_d.tolist(), strict=True)), points
        ),
    )


def at_threshold(
    pair_distances: np.ndarray, is_cover: np.ndarray, threshold: float
) -> dict[str, float]:
    """Precision, recall and F1 of the verdict ``distance <= threshold``."""
    predicted = np.isfinite(pair_distances) & (pair_distances <= threshold)
    tp = float(np.sum(predicted & (is_cover == 1)))
    precision = tp / max(1.0, float(predicted.sum()))
    recall = tp / max(1.0, float(is_cover.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "F1": f1}


def _thin(curve: list[tuple[float, float, float]], points: int) -> list[tuple[float, float, float]]:
    if len(curve) <= points:
        return curve
    keep = np.unique(np.linspace(0, len(curve) - 1, points).round().astype(int))
    return [curve[k] for k in keep]


def zscore_rows(distances: np.ndarray) -> np.ndarray:
    """Z-score each query's distances over its finite off-diagonal entries (then symmetrise).

    Non-finite entries become the row's maximum + 1 before scaling: "no alignment" means far.
    """
    n = distances.shape[0]
    out = np.empty_like(distances, dtype=np.float64)
    mask = ~np.eye(n, dtype=bool)
    for q in range(n):
        row = distances[q].astype(np.float64)
        finite = np.isfinite(row) & mask[q]
        fill = row[finite].max() + 1.0 if finite.any() else 1.0
        row = np.where(np.isfinite(row), row, fill)
        mu, sd = row[mask[q]].mean(), row[mask[q]].std()
        out[q] = (row - mu) / (sd if sd > 1e-12 else 1.0)
    return (out + out.T) / 2.0
