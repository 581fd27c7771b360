"""The index benchmark's generator: fitted on embeddings, it reproduces their spectrum and their
work structure; and ``coverscope bench`` keeps its pipeline timing beside ``bench index``."""

from __future__ import annotations

import numpy as np

from coverscope.cli import build_parser
from training import synthetic_embeddings as synthetic

DIM = 48


def real_like(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stand-ins for real embeddings: unit tracks with a decaying spectrum, and pairs of a
    track and a version of it."""
    rng = np.random.default_rng(seed)
    scales = 0.9 ** np.arange(DIM)
    tracks = rng.standard_normal((600, DIM)) * scales + 0.3
    originals = rng.standard_normal((150, DIM)) * scales + 0.3
    versions = originals + 0.3 * rng.standard_normal((150, DIM)) * scales
    return unit(tracks), np.stack([unit(originals), unit(versions)], axis=1)


def unit(x: np.ndarray) -> np.ndarray:
    normed: np.ndarray = x / np.linalg.norm(x, axis=1, keepdims=True)
    return normed


def test_generated_library_follows_the_spectrum_it_was_fitted_on() -> None:
    tracks, pairs = real_like(0)
    model = synthetic.fit(tracks, pairs)
    library = np.concatenate(list(synthetic.library(model, n=20_000, seed=1)))
    assert library.shape == (20_000, DIM) and library.dtype == np.float32
    assert np.allclose(np.linalg.norm(library, axis=1), 1.0, atol=1e-5)
    real = synthetic.spectrum_summary(tracks)
    made = synthetic.spectrum_summary(library)
    assert np.allclose(made["top_shares"], real["top_shares"], atol=0.02)
    assert abs(made["effective_dim"] - real["effective_dim"]) < 0.15 * real["effective_dim"]


def test_cover_queries_lie_closer_to_the_library_than_strangers() -> None:
    tracks, pairs = real_like(2)
    model = synthetic.fit(tracks, pairs)
    library = np.concatenate(list(synthetic.library(model, n=5_000, seed=3)))
    queries = synthetic.queries(model, library, n=400, seed=4)
    nearest = np.sqrt(np.clip(2 - 2 * (queries @ library.T).max(axis=1), 0, 4))
    covers, strangers = nearest[:200], nearest[200:]
    assert np.median(covers) < 0.8 * np.median(strangers)


def test_bench_keeps_pipeline_timing_and_gains_index() -> None:
    plain = build_parser().parse_args(["bench", "--repeats", "2"])
    assert plain.handler.__name__ == "_bench" and plain.repeats == 2
    index = build_parser().parse_args(["bench", "index", "--n", "5000", "--json", "x.json"])
    assert index.handler.__name__ == "_bench_index" and index.n == 5000
