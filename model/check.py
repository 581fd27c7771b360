"""Are these two songs the same work? Verdict, confidence, and the evidence for it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from model.align import Alignment, Match, align
from model.embed import Embedder, distance
from model.hpcp import cnn_features


@dataclass
class PairCheck:
    """The answer to a cover check between song A and song B.

    ``distance`` is the embedding distance the verdict rests on, ``threshold`` the model's
    cut-off, ``probability`` its calibrated chance of a cover. ``segment_agreement`` is the
    share of A's ~85 s windows whose nearest B window is within the threshold. The alignment
    explains the verdict: ``key_shift`` (semitones B is moved to match A) and ``matches``.
    """

    is_cover: bool
    probability: float
    distance: float
    threshold: float
    key_shift: int
    matches: list[Match]
    alignment_distance: float
    segment_agreement: float
    model_version: str
    alignment: Alignment | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("alignment")
        if not np.isfinite(out["alignment_distance"]):
            out["alignment_distance"] = None
        return out


def check_pair(
    chroma_a: np.ndarray,
    chroma_b: np.ndarray,
    embedder: Embedder,
    *,
    embedding_a: np.ndarray | None = None,
    embedding_b: np.ndarray | None = None,
) -> PairCheck:
    """Compare two songs from their raw HPCP (12, n); embeddings are recomputed if not given."""
    feats_a, feats_b = cnn_features(chroma_a), cnn_features(chroma_b)
    ea = embedder.embed(feats_a) if embedding_a is None else embedding_a
    eb = embedder.embed(feats_b) if embedding_b is None else embedding_b
    d = distance(ea, eb)
    calibration = embedder.calibration
    seg_a, _ = embedder.embed_segments(feats_a)
    seg_b, _ = embedder.embed_segments(feats_b)
    nearest = np.linalg.norm(seg_a[:, None, :] - seg_b[None, :, :], axis=2).min(axis=1)
    result = align(chroma_a, chroma_b)
    return PairCheck(
        is_cover=calibration.is_cover(d),
        probability=round(calibration.probability(d), 4),
        distance=round(d, 4),
        threshold=calibration.threshold,
        key_shift=result.key_shift,
        matches=result.matches,
        alignment_distance=result.distance,
        segment_agreement=round(float((nearest <= calibration.threshold).mean()), 3),
        model_version=embedder.version,
        alignment=result,
    )
