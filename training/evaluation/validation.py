"""Validation = evaluation on the held-out works: whole-version embeddings, exhaustive ranking."""

from __future__ import annotations

import numpy as np
import torch

from model.network import CoverNet
from model.verdict import Calibration, fit_calibration
from training.metrics import RetrievalScores, pair_labels, retrieval_scores


@torch.inference_mode()
def embed_all(network: CoverNet, features: list[np.ndarray]) -> np.ndarray:
    """Embed each whole version (lengths differ, so one at a time) -> (n, dim)."""
    was_training = network.training
    network.eval()
    out = np.stack([network(torch.from_numpy(f[None]))[0].numpy() for f in features])
    network.train(was_training)
    return out


def distance_matrix(embeddings: np.ndarray) -> np.ndarray:
    """Euclidean distances between unit vectors, (n, n)."""
    gram: np.ndarray = np.clip(embeddings @ embeddings.T, -1.0, 1.0)
    return np.sqrt(np.maximum(0.0, 2.0 - 2.0 * gram))


def evaluate(
    network: CoverNet, features: list[np.ndarray], labels: np.ndarray
) -> tuple[RetrievalScores, np.ndarray]:
    """MAP / MRR / MR1 / P@10 of every version queried against all others, and the distances."""
    distances = distance_matrix(embed_all(network, features))
    return retrieval_scores(distances, labels), distances


def calibrate(
    distances: np.ndarray, labels: np.ndarray, *, max_pairs: int, seed: int
) -> tuple[Calibration, dict[str, float]]:
    """Fit the verdict (threshold + logistic) on validation pairs: every cover pair and a
    random sample of non-cover pairs up to ``max_pairs`` in all."""
    d, y = pair_labels(distances, labels)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) + len(neg) > max_pairs:
        neg = rng.choice(neg, size=max(1, max_pairs - len(pos)), replace=False)
    keep = np.concatenate([pos, neg])
    calibration = fit_calibration(d[keep].tolist(), y[keep].tolist())
    predicted = d[keep] <= calibration.threshold
    tp = float(np.sum(predicted & (y[keep] == 1)))
    precision = tp / max(1.0, float(predicted.sum()))
    recall = tp / max(1.0, float(len(pos)))
    summary = {
        "cover_pairs": float(len(pos)),
        "other_pairs": float(len(neg)),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }
    return calibration, summary


def scores_by_group(
    distances: np.ndarray, labels: np.ndarray, groups: list[str]
) -> dict[str, dict[str, float]]:
    """Retrieval scores of each group's queries (e.g. per data source family), still ranked
    against the whole validation set."""
    out = {}
    for group in sorted(set(groups)):
        rows = np.array([i for i, g in enumerate(groups) if g == group])
        out[group] = retrieval_scores(distances[rows], labels, rows).to_dict()
    return out


def source_family(source: str) -> str:
    """``music21-essen-variants`` -> ``music21``, ``debian-nexuiz-music`` -> ``debian``."""
    return source.split("-", 1)[0]
