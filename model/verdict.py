"""Distance -> verdict: the embedding distance, a threshold and a logistic calibration stored
with the model. Free of torch, so processes that only score pairs do not load it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


def embedding_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two unit embeddings (0 = identical, 2 = opposite)."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


@dataclass(frozen=True)
class Calibration:
    """``p(cover | d) = 1 / (1 + exp(slope * (d - midpoint)))``; cover when ``d <= threshold``.

    Fitted on a validation split (never on Covers80). ``slope > 0``: larger distance, lower p.
    """

    threshold: float = 1.0
    slope: float = 10.0
    midpoint: float = 1.0

    def probability(self, distance: float) -> float:
        if not math.isfinite(distance):
            return 0.0
        z = self.slope * (distance - self.midpoint)
        if z > 50:
            return 0.0
        return 1.0 / (1.0 + math.exp(z))

    def is_cover(self, distance: float) -> bool:
        return math.isfinite(distance) and distance <= self.threshold

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Calibration:
        return cls(
            **{k: float(v) for k, v in raw.items() if k in {"threshold", "slope", "midpoint"}}
        )


def fit_calibration(distances: list[float], labels: list[int]) -> Calibration:
    """Fit the logistic curve and pick the threshold maximising F1 on labelled pairs."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    d = np.asarray(distances, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    keep = np.isfinite(d)
    d, y = d[keep], y[keep]
    if y.min() == y.max():
        raise ValueError("calibration needs both cover and non-cover pairs")
    model = LogisticRegression(C=1e4, class_weight="balanced").fit(d[:, None], y)
    coef, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
    slope = -coef
    midpoint = intercept / slope if slope else float(np.median(d))
    order = np.argsort(d)
    tp = np.cumsum(y[order])
    predicted = np.arange(1, len(d) + 1)
    f1 = 2 * tp / (predicted + y.sum())
    best = int(np.argmax(f1))
    return Calibration(threshold=float(d[order][best]), slope=slope, midpoint=midpoint)
