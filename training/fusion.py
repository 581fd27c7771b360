"""Learned fusion of the embedding and Qmax distances, fitted on the validation split.

Meaning of the stored ``extra["fusion"]`` (read by ``fuse`` below): for a query,
take its ``top_k`` nearest references by embedding distance; z-score the K embedding
distances and the K Qmax distances separately over those K candidates (a non-finite Qmax,
"nothing aligned", becomes the largest finite one + 1 first); the fused distance is
``w_embedding * z_emb + w_qmax * z_qmax`` and the K candidates are re-ranked by it, smaller
first. ``(w_embedding, w_qmax)`` is a unit vector, the direction (in 5 degree steps) with the
best MAP over validation queries' re-ranked top-K. A logistic regression "is a cover" on
(z_emb, z_qmax) over the same candidates is stored too: p(cover) = 1 / (1 + exp(
logit_w_embedding * z_emb + logit_w_qmax * z_qmax - intercept)).
"""

from __future__ import annotations

import logging
from multiprocessing import get_context
from typing import Any

import numpy as np
from tqdm import tqdm

from training.data import Version
from training.metrics import retrieval_scores

log = logging.getLogger(__name__)

_CHROMA: list[np.ndarray] = []


def _qmax(pair: tuple[int, int]) -> float:
    from model.align import align

    i, j = pair
    return align(_CHROMA[i], _CHROMA[j], explain=False).distance


def fuse(emb: np.ndarray, qmax: np.ndarray, fusion: dict[str, float] | None = None) -> np.ndarray:
    """Fused score of K candidates (smaller = closer): a weighted sum of both distances,
    each z-scored over the candidates (a non-finite Qmax becomes the largest finite + 1)."""
    w_emb = (fusion or {}).get("w_embedding", 1.0)
    w_qmax = (fusion or {}).get("w_qmax", 1.0)
    finite = np.isfinite(qmax)
    fill = qmax[finite].max() + 1.0 if finite.any() else 1.0
    q = np.where(finite, qmax, fill)

    def z(x: np.ndarray) -> np.ndarray:
        std = float(x.std())
        centred: np.ndarray = x - float(x.mean())
        return centred / (std if std > 1e-12 else 1.0)

    return w_emb * z(emb) + w_qmax * z(q)


def qmax_pairs(
    versions: list[Version], pairs: list[tuple[int, int]], *, workers: int
) -> dict[tuple[int, int], float]:
    """Qmax distance (query i, reference j) of each pair, over ``workers`` forked processes."""
    _CHROMA[:] = [v.chroma() for v in versions]
    try:
        if workers <= 1:
            values = [_qmax(p) for p in tqdm(pairs, desc="qmax (val)", unit="pair")]
        else:
            with get_context("fork").Pool(workers) as pool:
                values = list(
                    tqdm(
                        pool.imap(_qmax, pairs, chunksize=8),
                        total=len(pairs),
                        desc="qmax (val)",
                        unit="pair",
                    )
                )
    finally:
        _CHROMA.clear()
    return dict(zip(pairs, values, strict=True))


def candidate_features(
    emb: np.ndarray, qmax: dict[tuple[int, int], float], queries: list[int], top_k: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per query: its top-K candidates and their (z_emb, z_qmax) rows, z-scored as ``fuse`` does."""
    tops, rows = [], []
    for q in queries:
        top = np.array([r for r in np.argsort(emb[q], kind="stable") if r != q][:top_k])
        d_emb = emb[q, top]
        d_q = np.array([qmax[(q, int(r))] for r in top])
        z_emb = fuse(d_emb, d_q, {"w_embedding": 1.0, "w_qmax": 0.0})
        z_q = fuse(d_emb, d_q, {"w_embedding": 0.0, "w_qmax": 1.0})
        tops.append(top)
        rows.append(np.stack([z_emb, z_q], axis=1))
    return tops, rows


def fit_fusion(
    versions: list[Version],
    emb: np.ndarray,
    labels: np.ndarray,
    *,
    queries: int,
    top_k: int,
    workers: int,
    seed: int,
) -> dict[str, Any]:
    """Fit the fusion weights on validation queries; returns the plain dict to store."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    has_cover = [q for q in range(len(labels)) if np.sum(labels == labels[q]) > 1]
    chosen = sorted(
        rng.choice(has_cover, size=min(queries, len(has_cover)), replace=False).tolist()
    )
    pairs = sorted(
        {
            (q, int(r))
            for q in chosen
            for r in [r for r in np.argsort(emb[q], kind="stable") if r != q][:top_k]
        }
    )
    qmax = qmax_pairs(versions, pairs, workers=workers)
    tops, rows = candidate_features(emb, qmax, chosen, top_k)
    x = np.concatenate(rows)
    y = np.concatenate(
        [(labels[top] == labels[q]).astype(np.int64) for q, top in zip(chosen, tops, strict=True)]
    )
    if y.min() == y.max():
        raise ValueError("fusion needs both cover and non-cover candidates")
    model = LogisticRegression(C=1.0, class_weight="balanced").fit(x, y)
    logit_emb, logit_q = (-float(c) for c in model.coef_[0])
    # The logistic fit separates cover pairs from others; ranking wants the direction that
    # orders each query's candidates best, so the stored weights are the (cos, sin) direction
    # with the highest validation MAP, ties going to the one nearest the logistic direction.
    logit_angle = float(np.degrees(np.arctan2(logit_q, logit_emb)))
    candidates = []
    for angle in range(0, 91, 5):
        we, wq = float(np.cos(np.radians(angle))), float(np.sin(np.radians(angle)))
        score = rerank_map(
            emb, labels=labels, queries=chosen, tops=tops, rows=rows, weights=(we, wq)
        )
        candidates.append((-score, abs(angle - logit_angle), angle, we, wq))
    _, _, angle, w_emb, w_q = min(candidates)
    fusion = {
        "w_embedding": w_emb,
        "w_qmax": w_q,
        "logit_w_embedding": logit_emb,
        "logit_w_qmax": logit_q,
        "intercept": float(model.intercept_[0]),
        "top_k": float(top_k),
        "queries": float(len(chosen)),
        "pairs": float(len(pairs)),
    }
    for name, weights in {
        "map_embedding": (1.0, 0.0),
        "map_qmax_rerank": (0.0, 1.0),
        "map_logistic": (logit_emb, logit_q),
        "map_fused": (w_emb, w_q),
    }.items():
        fusion[f"val_{name}"] = rerank_map(
            emb, labels=labels, queries=chosen, tops=tops, rows=rows, weights=weights
        )
    log.info("fusion on %d val queries: %s", len(chosen), fusion)
    return fusion


def rerank_map(
    emb: np.ndarray,
    *,
    labels: np.ndarray,
    queries: list[int],
    tops: list[np.ndarray],
    rows: list[np.ndarray],
    weights: tuple[float, float],
) -> float:
    """Validation MAP of ``queries`` when each one's top-K is re-ranked by
    ``weights[0] * z_emb + weights[1] * z_qmax`` and the rest keep embedding order."""
    we, wq = weights
    ranked = emb.copy()
    for q, top, z in zip(queries, tops, rows, strict=True):
        order = top[np.argsort(we * z[:, 0] + wq * z[:, 1], kind="stable")]
        # The re-ranked top-K go first (negative values), the rest keep embedding order.
        ranked[q, order] = np.arange(len(order)) - len(order) - 10.0
    return retrieval_scores(ranked[queries], labels, np.asarray(queries)).map
