"""Re-ranking a collection by diffusion over its song graph (late similarity network fusion).

Pair scores decide verdicts; diffusion only reorders rankings: two songs that resemble the same
neighbours are pulled together. The scores to fuse, ``k`` and the iterations come from the
scorer config's ``diffusion`` section; each is a raw component of ``model.score`` (larger =
more alike), which ``model.snf.late_fusion`` turns into neighbour-scaled affinities.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.errors import InvalidInput
from model.score import ScorerConfig
from model.snf import late_fusion

DEFAULT_K = 20
DEFAULT_ITERATIONS = 20


def finite_similarity(raw: np.ndarray) -> np.ndarray:
    """(n, n) raw component values with each non-finite cell set to its row's smallest
    finite value (no evidence = as far as the farthest song)."""
    s = np.asarray(raw, dtype=np.float64)
    finite = np.isfinite(s)
    floor = np.where(finite, s, np.inf).min(axis=1)
    floor = np.where(np.isfinite(floor), floor, 0.0)
    return np.where(finite, s, floor[:, None])


def diffuse(components: Mapping[str, np.ndarray], *, config: ScorerConfig) -> np.ndarray:
    """Late fusion over a collection: ``components`` maps component names to (n, n) raw pair
    values (as ``model.score.pair_components`` gives them, diagonal ignored); returns the fused
    (n, n) similarity (larger = closer) of the config's diffusion components."""
    names = list(config.diffusion.get("components", config.components))
    missing = [c for c in names if c not in components]
    if missing:
        raise InvalidInput(f"diffusion needs the components {missing}")
    return late_fusion(
        [finite_similarity(components[c]) for c in names],
        k=int(config.diffusion.get("k", DEFAULT_K)),
        iterations=int(config.diffusion.get("iterations", DEFAULT_ITERATIONS)),
    )
