"""Synthetic libraries of embeddings shaped like the real ones, for index benchmarks.

A library is a set of works, each with one or more versions. Fitted on real embeddings of the
shipped model (never Covers80): the between-works covariance from the real tracks (their
covariance minus the within-work one) and the within-work covariance from real tracks paired
with a transformed version of themselves (half the covariance of the pair differences). A
work's centre is drawn from N(mean, between), each version from N(centre, within), then
normalised like the model's outputs. The eigen-spectrum of the result follows the real one
(``spectrum_summary`` compares them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np

EXTRA_VERSIONS = 0.25
"""Mean number of extra versions (covers) per work: Poisson. An assumption, not fitted: a
library of mostly distinct songs, one in five with a cover."""
CHUNK = 65_536


@dataclass(frozen=True)
class EmbeddingModel:
    """Gaussian works and versions; factors are covariance roots, (dim, dim)."""

    mean: np.ndarray
    between: np.ndarray
    within: np.ndarray
    fitted_on: int
    """How many real embeddings the model was fitted on."""


def _root(cov: np.ndarray) -> np.ndarray:
    """A factor F with F @ F.T = cov, negative eigenvalues clipped to 0."""
    values, vectors = np.linalg.eigh((cov + cov.T) / 2.0)
    root: np.ndarray = vectors * np.sqrt(np.clip(values, 0.0, None))
    return root


def fit(tracks: np.ndarray, pairs: np.ndarray) -> EmbeddingModel:
    """Fit on ``tracks`` (n, dim) real embeddings of distinct works and ``pairs`` (m, 2, dim),
    each a track and a version of it."""
    within = np.cov((pairs[:, 0] - pairs[:, 1]).T) / 2.0
    total = np.cov(tracks.T)
    return EmbeddingModel(
        mean=tracks.mean(axis=0),
        between=_root(total - within),
        within=_root(within),
        fitted_on=len(tracks) + 2 * len(pairs),
    )


def load_real(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Real embeddings from calibration analyses: ``folder/real/*.npz`` (distinct tracks) and
    ``folder/positives/pos:<name>.npz`` with ``pos:<name>~v.npz`` (a track and a version)."""
    tracks = [_embedding(path) for path in sorted((folder / "real").glob("*.npz"))]
    pairs = []
    for path in sorted((folder / "positives").glob("*~v.npz")):
        original = path.with_name(path.name.replace("~v.npz", ".npz"))
        if original.exists():
            pairs.append((_embedding(original), _embedding(path)))
    return np.stack(tracks), np.array(pairs)


def _embedding(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as data:
        vector: np.ndarray = data["embedding"].astype(np.float64)
    return vector


def _unit(x: np.ndarray) -> np.ndarray:
    unit: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return unit


def centres(model: EmbeddingModel, *, n: int, seed: int) -> np.ndarray:
    """``n`` work centres, (n, dim) float64 (not normalised)."""
    rng = np.random.default_rng(seed)
    dim = len(model.mean)
    out: np.ndarray = model.mean + rng.standard_normal((n, dim)) @ model.between.T
    return out


def versions(model: EmbeddingModel, work_centres: np.ndarray, *, seed: int) -> np.ndarray:
    """One version of each centre: (n, dim) unit float32."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(work_centres.shape) @ model.within.T
    return _unit(work_centres + noise)


def library(model: EmbeddingModel, *, n: int, seed: int = 0) -> Iterator[np.ndarray]:
    """A library of ``n`` unit float32 embeddings in chunks of at most ``CHUNK`` rows: works
    with 1 + Poisson(``EXTRA_VERSIONS``) versions, in library order (versions apart)."""
    rng = np.random.default_rng(seed)
    made = 0
    while made < n:
        works = max(1, int(CHUNK / (1.0 + EXTRA_VERSIONS)))
        count = 1 + rng.poisson(EXTRA_VERSIONS, size=works)
        centre = centres(model, n=works, seed=int(rng.integers(2**32)))
        chunk = versions(model, np.repeat(centre, count, axis=0), seed=int(rng.integers(2**32)))
        chunk = chunk[rng.permutation(len(chunk))][: n - made]
        made += len(chunk)
        yield chunk


def queries(model: EmbeddingModel, known: np.ndarray, *, n: int, seed: int = 1) -> np.ndarray:
    """``n`` queries (n, dim) unit float32: half new versions of library songs ``known``
    (a cover looked up), half songs of new works (nothing to find)."""
    rng = np.random.default_rng(seed)
    covers = n // 2
    picked = known[rng.choice(len(known), size=covers, replace=False)].astype(np.float64)
    noise = rng.standard_normal(picked.shape) @ model.within.T
    strangers = versions(model, centres(model, n=n - covers, seed=seed + 1), seed=seed + 2)
    return np.concatenate([_unit(picked + noise), strangers])


class Spectrum(TypedDict):
    top_shares: list[float]
    effective_dim: float


def spectrum_summary(x: np.ndarray, *, top: int = 5) -> Spectrum:
    """The covariance spectrum of unit embeddings ``x`` (n, dim): the share of variance of the
    ``top`` axes and the participation ratio (sum l)^2 / sum l^2, the effective dimension."""
    values = np.clip(np.linalg.eigvalsh(np.cov(x.T.astype(np.float64)))[::-1], 0.0, None)
    return {
        "top_shares": [round(float(v), 4) for v in values[:top] / values.sum()],
        "effective_dim": round(float(values.sum() ** 2 / (values**2).sum()), 2),
    }
