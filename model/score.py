"""The one pair scorer: evidence components, their common scale, the fused score, the verdict.

Each component is a number, larger = more alike:

- ``qmax``: ``-log`` of the Qmax distance (``model.qmax``, both directions averaged);
- ``early``: the early-fusion alignment score (``model.early``, best over tempo-level pairs),
  and ``hpcp`` / ``mfcc`` / ``ssm``, the same alignment on one block feature alone;
- ``embedding``: minus the Euclidean distance of the CNN embeddings.

A component is put on a common scale by its (mean, std) over real NON-cover pairs: the
normalised value says how many standard deviations a pair stands above a typical pair of
different songs. The fused score is the weighted mean of the configured components' normalised
values; a pair is a cover when it reaches the configured threshold, and its probability follows
a logistic curve of the fused score. Everything comes from ``model/weights/scorer.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.analysis import SongAnalysis
from model.early import EarlyScore, early_fusion
from model.errors import InvalidInput, ModelError
from model.qmax import QmaxResult, qmax
from model.verdict import embedding_distance

DEFAULT_CONFIG = Path(__file__).parent / "weights" / "scorer.json"
GROUPS: dict[str, tuple[str, ...]] = {
    "qmax": ("qmax",),
    "early": ("early", "hpcp", "mfcc", "ssm"),
    "embedding": ("embedding",),
}
"""Components computed together: one early-fusion run gives all four of its scores."""
COMPONENTS = tuple(c for group in GROUPS.values() for c in group)


@dataclass(frozen=True)
class ScorerConfig:
    """The frozen choices of the scorer (see ``model/weights/scorer.json``).

    ``stats`` holds each component's (mean, std) over real non-cover pairs; ``threshold`` is
    on the fused scale; ``probability`` holds ``slope`` and ``midpoint`` of
    ``p = 1 / (1 + exp(-slope * (fused - midpoint)))`` and the cover ``prior`` assumed when
    fitting it; ``diffusion`` the components, ``k`` and ``iterations`` of late fusion;
    ``curve`` the calibration's ``[threshold, fpr, tpr]`` rows (fused scale), if it left any.
    """

    version: str
    components: tuple[str, ...]
    weights: dict[str, float]
    stats: dict[str, tuple[float, float]]
    threshold: float
    probability: dict[str, float]
    diffusion: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    curve: list[list[float]] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path | None = None) -> ScorerConfig:
        path = Path(path or DEFAULT_CONFIG)
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read scorer config {path}: {exc}") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ScorerConfig:
        config = cls(
            version=str(raw["version"]),
            components=tuple(raw["components"]),
            weights={k: float(v) for k, v in raw["weights"].items()},
            stats={k: (float(v[0]), float(v[1])) for k, v in raw["stats"].items()},
            threshold=float(raw["threshold"]),
            probability={k: float(v) for k, v in raw["probability"].items()},
            diffusion=dict(raw.get("diffusion", {})),
            provenance=dict(raw.get("provenance", {})),
            curve=[[float(x) for x in row] for row in raw.get("curve", [])],
        )
        unknown = set(config.components) - set(COMPONENTS)
        missing = [c for c in config.components if c not in config.stats]
        if unknown or missing or not config.components:
            raise ModelError(f"scorer config: unknown {unknown} or unscaled {missing} components")
        return config

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "components": list(self.components),
            "weights": self.weights,
            "stats": {k: list(v) for k, v in self.stats.items()},
            "threshold": self.threshold,
            "probability": self.probability,
            "diffusion": self.diffusion,
            "provenance": self.provenance,
            "curve": self.curve,
        }

    def with_components(self, components: Iterable[str]) -> ScorerConfig:
        """The same scorer fusing only ``components`` with equal weights (ablations)."""
        chosen = tuple(components)
        return dataclasses.replace(
            self,
            version=f"{self.version}[{'+'.join(chosen)}]",
            components=chosen,
            weights={c: 1.0 for c in chosen},
        )


@dataclass(frozen=True)
class PairScore:
    """The score of a pair: raw ``components``, their ``normalised`` values, the ``fused``
    score (larger = more alike) and the verdict. With ``explain``, the Qmax and early-fusion
    results behind it."""

    components: dict[str, float]
    normalised: dict[str, float]
    fused: float
    is_cover: bool
    probability: float
    qmax: QmaxResult | None = None
    early: EarlyScore | None = None


@dataclass(frozen=True)
class Evidence:
    """Raw component values of a pair and the computations they came from."""

    values: dict[str, float]
    qmax: QmaxResult | None = None
    early: EarlyScore | None = None


def groups_for(components: Iterable[str]) -> list[str]:
    """The component groups that must run to obtain ``components``."""
    wanted = set(components)
    return [g for g, members in GROUPS.items() if wanted & set(members)]


def pair_components(
    a: SongAnalysis, b: SongAnalysis, *, groups: Iterable[str], explain: bool = False
) -> Evidence:
    """Compute the raw components of ``groups`` for songs A and B (see the module doc)."""
    values: dict[str, float] = {}
    qmax_result: QmaxResult | None = None
    early_result: EarlyScore | None = None
    for group in groups:
        if group == "qmax":
            qmax_result = qmax(
                a.chroma.astype(np.float32), b.chroma.astype(np.float32), explain=explain
            )
            values["qmax"] = -math.log(qmax_result.distance)
        elif group == "early":
            early_result = early_fusion(a.levels, b.levels, explain=explain)
            # No level pair with blocks (a clip under 20 beats): the block evidence is missing.
            missing = early_result.levels == (-1, -1)
            for name in GROUPS["early"]:
                value = getattr(early_result, "fused" if name == "early" else name)
                values[name] = math.nan if missing else float(value)
        elif group == "embedding":
            if a.embedding is None or b.embedding is None:
                raise InvalidInput("the embedding component needs both songs' embeddings")
            if a.embedding_version != b.embedding_version:
                raise InvalidInput("the two songs were embedded by different models")
            values["embedding"] = -embedding_distance(a.embedding, b.embedding)
        else:
            raise InvalidInput(f"unknown component group {group!r}")
    return Evidence(values=values, qmax=qmax_result, early=early_result)


def fuse(values: Mapping[str, float], *, config: ScorerConfig) -> PairScore:
    """Normalise, fuse and judge raw component ``values`` (which must hold the config's).

    A missing component (NaN: e.g. the block evidence of a clip shorter than one 20-beat block)
    is left out and the others' weights are renormalised: no evidence is not evidence against.
    """
    normalised = {
        c: (values[c] - config.stats[c][0]) / config.stats[c][1]
        for c in config.components
        if math.isfinite(values[c])
    }
    if not normalised:
        raise InvalidInput("no component of the scorer could be computed for this pair")
    total = sum(config.weights.get(c, 1.0) for c in normalised)
    fused = sum(config.weights.get(c, 1.0) * z for c, z in normalised.items()) / total
    return PairScore(
        components={c: float(values[c]) for c in values},
        normalised={c: float(z) for c, z in normalised.items()},
        fused=float(fused),
        is_cover=bool(fused >= config.threshold),
        probability=probability(fused, config=config),
    )


def probability(fused: float, *, config: ScorerConfig) -> float:
    """p(cover | fused) from the configured logistic curve."""
    z = config.probability["slope"] * (fused - config.probability["midpoint"])
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def score_pair(
    a: SongAnalysis, b: SongAnalysis, *, config: ScorerConfig, explain: bool = False
) -> PairScore:
    """The fused score and verdict of songs A and B: what every check and evaluation calls."""
    evidence = pair_components(a, b, groups=groups_for(config.components), explain=explain)
    score = fuse(evidence.values, config=config)
    return PairScore(
        components=score.components,
        normalised=score.normalised,
        fused=score.fused,
        is_cover=score.is_cover,
        probability=score.probability,
        qmax=evidence.qmax,
        early=evidence.early,
    )


def score_against(
    query: SongAnalysis, others: list[SongAnalysis], *, config: ScorerConfig
) -> list[PairScore]:
    """``score_pair(query, other)`` for each of ``others``, in order (one task for a pool)."""
    return [score_pair(query, other, config=config) for other in others]


def component_table(score: PairScore, *, config: ScorerConfig) -> dict[str, dict[str, float]]:
    """Each scaled component of ``score`` as ``{name: {raw, z, weight}}``: its raw value, its
    value on the common scale and its weight in ``config``'s verdict (0 when it was computed
    and is shown, but not fused). What the check and the re-rank report."""
    return {
        c: {
            "raw": round(value, 4),
            "z": round((value - config.stats[c][0]) / config.stats[c][1], 4),
            "weight": config.weights.get(c, 1.0) if c in config.components else 0.0,
        }
        for c, value in score.components.items()
        if c in config.stats and math.isfinite(value)
    }


def fit_scorer_stats(pair_components: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Each component's (mean, std) over NON-cover pairs' raw components (finite values)."""
    stats: dict[str, tuple[float, float]] = {}
    for name in COMPONENTS:
        x = np.array([p[name] for p in pair_components if name in p], dtype=np.float64)
        x = x[np.isfinite(x)]
        if x.size >= 2:
            stats[name] = (float(x.mean()), float(max(x.std(ddof=1), 1e-9)))
    return stats


@dataclass(frozen=True)
class ThresholdFit:
    """A threshold on the fused score and the false-positive rate it gives on the negatives,
    with a confidence interval for that rate."""

    threshold: float
    target_fpr: float
    false_positives: int
    negatives: int
    fpr: float
    interval: tuple[float, float]
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "interval": list(self.interval)}


def threshold_for_fpr(
    fused_negatives: Iterable[float],
    fpr: float = 0.002,
    *,
    confidence: float = 0.95,
    method: str = "clopper-pearson",
) -> ThresholdFit:
    """The lowest threshold (cover when fused >= it) whose false-positive rate on these
    non-cover pairs is at most ``fpr``."""
    neg = np.sort(np.asarray(list(fused_negatives), dtype=np.float64))[::-1]
    if neg.size == 0:
        raise InvalidInput("a threshold needs non-cover pairs")
    allowed = math.floor(fpr * neg.size + 1e-9)
    threshold = float(np.nextafter(neg[allowed], np.inf)) if allowed < neg.size else float(neg[-1])
    false_positives = int(np.sum(neg >= threshold))
    return ThresholdFit(
        threshold=threshold,
        target_fpr=fpr,
        false_positives=false_positives,
        negatives=int(neg.size),
        fpr=false_positives / neg.size,
        interval=rate_interval(
            false_positives, int(neg.size), confidence=confidence, method=method
        ),
        method=method,
    )


def fit_probability(
    fused_positives: Iterable[float], fused_negatives: Iterable[float], *, prior: float
) -> dict[str, float]:
    """Logistic ``p(cover | fused)`` fitted on cover and non-cover pairs' fused scores, the two
    classes weighted so covers make up ``prior`` of the pairs (the assumed share of covers
    among checked pairs), whatever their counts. Returns the config's ``probability``."""
    from sklearn.linear_model import LogisticRegression

    pos = np.asarray(list(fused_positives), dtype=np.float64)
    neg = np.asarray(list(fused_negatives), dtype=np.float64)
    if pos.size == 0 or neg.size == 0 or not 0.0 < prior < 1.0:
        raise InvalidInput("a probability needs cover and non-cover pairs and 0 < prior < 1")
    x = np.concatenate([pos, neg])[:, None]
    y = np.concatenate([np.ones(pos.size), np.zeros(neg.size)])
    weight = np.where(y == 1, prior / pos.size, (1.0 - prior) / neg.size) * x.shape[0]
    model = LogisticRegression(C=1e4).fit(x, y, sample_weight=weight)
    slope = float(model.coef_[0, 0])
    midpoint = -float(model.intercept_[0]) / slope if slope else float(np.median(x))
    return {"slope": slope, "midpoint": midpoint, "prior": prior}


def rate_interval(
    k: int, n: int, *, confidence: float = 0.95, method: str = "clopper-pearson"
) -> tuple[float, float]:
    """Two-sided confidence interval of a rate ``k / n``: exact Clopper-Pearson or Wilson."""
    from scipy.stats import beta, norm

    if n <= 0 or not 0 <= k <= n:
        raise InvalidInput(f"a rate needs 0 <= k <= n, n > 0 (got {k} / {n})")
    alpha = 1.0 - confidence
    if method == "clopper-pearson":
        low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
        high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
        return low, high
    if method == "wilson":
        z = float(norm.ppf(1 - alpha / 2))
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)
    raise InvalidInput(f"unknown interval method {method!r}")
