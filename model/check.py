"""Are these two songs the same work? Verdict, confidence, and the evidence for it."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from model.align import Alignment, Match, alignment_of
from model.analysis import QMAX_POOL, SongAnalysis
from model.constants import FRAMES_PER_SECOND
from model.score import ScorerConfig, component_table, score_pair


@dataclass
class PairCheck:
    """The answer to a cover check between song A and song B.

    The verdict rests on the fused score of ``model.score``. ``distance`` is minus that score
    (smaller = more alike, in standard deviations of real non-cover pairs) and ``threshold``
    minus the configured fused threshold, so ``is_cover`` is ``distance <= threshold``.
    ``probability`` is the calibrated chance of a cover. ``components`` gives each piece of
    evidence: its raw value, its normalised value ``z`` and its weight in the verdict (0 when
    it is shown but not fused). The Qmax alignment explains the verdict: ``key_shift``
    (semitones B is moved to match A), ``matches`` (passages), ``alignment_distance`` (the
    Qmax distance) and ``segment_agreement`` (share of song A inside matched passages).
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
    components: dict[str, dict[str, float]]
    alignment: Alignment | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("alignment")
        return out


def check_pair(a: SongAnalysis, b: SongAnalysis, *, config: ScorerConfig) -> PairCheck:
    """Compare two analysed songs (``model.analysis.analyse``) with the fused scorer."""
    shown = tuple(dict.fromkeys((*config.components, "qmax")))
    extended = config if shown == config.components else _showing(config, shown)
    score = score_pair(a, b, config=extended, explain=True)
    assert score.qmax is not None  # "qmax" is always computed for the explanation
    alignment = alignment_of(score.qmax, fps=FRAMES_PER_SECOND / QMAX_POOL)
    covered = sum(m.a_end - m.a_start for m in alignment.matches)
    return PairCheck(
        is_cover=score.is_cover,
        probability=round(score.probability, 4),
        distance=round(-score.fused, 4),
        threshold=round(-config.threshold, 4),
        key_shift=alignment.key_shift,
        matches=alignment.matches,
        alignment_distance=round(alignment.distance, 4),
        segment_agreement=round(float(np.clip(covered / max(a.analysed_seconds, 1e-9), 0, 1)), 3),
        model_version=config.version,
        components=component_table(score, config=config),
        alignment=alignment,
    )


def _showing(config: ScorerConfig, shown: tuple[str, ...]) -> ScorerConfig:
    """``config`` computing ``shown`` components, the extra ones with weight 0."""
    return dataclasses.replace(
        config,
        components=shown,
        weights={c: config.weights.get(c, 1.0) if c in config.components else 0.0 for c in shown},
    )
