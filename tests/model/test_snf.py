"""Mutual-neighbour binarisation, Serra'09 Smith-Waterman and similarity network fusion, each
against a brute-force oracle on tiny cases; late fusion on a small synthetic collection."""

from __future__ import annotations

import numpy as np
import pytest

import model.snf as snf_module
from model.snf import (
    GAP_EXTENSION,
    GAP_ONSET,
    affinity,
    full_kernel,
    late_fusion,
    mutual_knn_binarise,
    neighbour_scale,
    similarity_to_distance,
    smith_waterman,
    snf,
    snf_cross_block,
    snf_step,
    sparse_kernel,
)


def brute_mutual_knn(d: np.ndarray, kappa: float) -> np.ndarray:
    m, n = d.shape
    k_row, k_col = max(1, round(kappa * n)), max(1, round(kappa * m))
    out = np.zeros((m, n), dtype=np.float32)
    for i in range(m):
        for j in range(n):
            in_row = sorted(d[i]).index(d[i, j]) < k_row
            in_col = sorted(d[:, j]).index(d[i, j]) < k_col
            out[i, j] = float(in_row and in_col)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_mutual_knn_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = rng.random((int(rng.integers(3, 12)), int(rng.integers(3, 12))))
    for kappa in (0.1, 0.3, 0.5):
        np.testing.assert_array_equal(
            mutual_knn_binarise(d, kappa=kappa), brute_mutual_knn(d, kappa)
        )


def test_ties_do_not_light_up_the_matrix() -> None:
    binary = mutual_knn_binarise(np.zeros((20, 30)), kappa=0.1)
    assert np.all(binary.sum(axis=1) <= 3) and np.all(binary.sum(axis=0) <= 2)


def brute_smith_waterman(x: np.ndarray) -> float:
    """Textbook Serra'09 recursion: steps (1,1), (2,1), (1,2); cells outside the matrix are 0."""
    m, n = x.shape
    h = np.zeros((m + 2, n + 2))  # offset 2: h[i + 2, j + 2] is cell (i, j)
    xs = np.zeros((m + 2, n + 2))
    xs[2:, 2:] = x
    for i in range(2, m + 2):
        for j in range(2, n + 2):
            preds = [(i - 1, j - 1), (i - 2, j - 1), (i - 1, j - 2)]
            if xs[i, j] == 1:
                h[i, j] = max(h[p] for p in preds) + 1
            else:
                gaps = [h[p] - (GAP_ONSET if xs[p] == 1 else GAP_EXTENSION) for p in preds]
                h[i, j] = max(0.0, *gaps)
    return float(h.max())


def test_smith_waterman_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        m, n = rng.integers(1, 10, size=2)
        x = (rng.random((m, n)) < rng.uniform(0.1, 0.9)).astype(np.float32)
        assert smith_waterman(x) == pytest.approx(brute_smith_waterman(x), abs=1e-5)


def test_smith_waterman_counts_a_diagonal_and_tolerates_a_gap() -> None:
    x = np.eye(8, dtype=np.float32)
    assert smith_waterman(x) == 8.0
    x[4, 4] = 0.0  # one disrupted cell costs the onset penalty and loses its match
    assert smith_waterman(x) == pytest.approx(7 - GAP_ONSET)
    assert smith_waterman(np.zeros((5, 5), dtype=np.float32)) == 0.0
    assert smith_waterman(np.zeros((0, 5), dtype=np.float32)) == 0.0


def brute_snf(ws: list[np.ndarray], k: int, iterations: int, identity: float) -> np.ndarray:
    n = ws[0].shape[0]
    ps, ss = [], []
    for w in ws:
        p, s = np.zeros((n, n)), np.zeros((n, n))
        for i in range(n):
            off = sum(w[i, j] for j in range(n) if j != i)
            for j in range(n):
                p[i, j] = 0.5 if i == j else w[i, j] / (2 * off)
            near = list(np.argsort(-w[i], kind="stable")[:k])
            total = sum(w[i, j] for j in near)
            for j in near:
                s[i, j] = w[i, j] / total
        ps.append(p)
        ss.append(s)
    for _ in range(iterations):
        new = []
        for f in range(len(ws)):
            others = [ps[g] for g in range(len(ws)) if g != f] or [ps[f]]
            o = np.mean(others, axis=0)
            q = np.zeros((n, n))
            for i in range(n):
                for j in range(n):
                    q[i, j] = sum(
                        ss[f][i, a] * o[a, b] * ss[f][j, b] for a in range(n) for b in range(n)
                    )
            q += identity * np.eye(n)
            q /= q.sum(axis=1, keepdims=True)
            new.append((q + q.T) / 2)
        ps = new
    return np.mean(ps, axis=0)


def random_affinities(n: int, count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        x = rng.standard_normal((n, 3))
        d = np.linalg.norm(x[:, None] - x[None], axis=2)
        scale = neighbour_scale(d, k=3)
        out.append(affinity(d, scale, scale))
    return out


@pytest.mark.parametrize(("count", "identity"), [(2, 1.0), (3, 0.0), (1, 1.0)])
def test_snf_matches_explicit_loops(count: int, identity: float) -> None:
    ws = random_affinities(7, count, seed=count)
    ours = snf(ws, k=3, iterations=3, identity=identity)
    np.testing.assert_allclose(ours, brute_snf(ws, 3, 3, identity), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("iterations", [1, 3])
def test_cross_block_equals_the_block_of_full_snf(iterations: int) -> None:
    ws = random_affinities(9, 3, seed=5)
    full = snf(ws, k=4, iterations=iterations)
    ps = [full_kernel(w) for w in ws]
    ss = [sparse_kernel(w, k=4) for w in ws]
    for _ in range(iterations - 1):
        ps = snf_step(ps, ss)
    block = snf_cross_block(ps, ss, split=4)
    np.testing.assert_allclose(block, full[:4, 4:], rtol=1e-4, atol=1e-7)
    if iterations > 1:  # after a step every P is symmetric: the shortcut gives the same block
        quick = snf_cross_block(ps, ss, split=4, symmetric=True)
        np.testing.assert_allclose(quick, full[:4, 4:], rtol=1e-4, atol=1e-7)


def mean_average_precision(similarity: np.ndarray, labels: np.ndarray) -> float:
    aps = []
    for q in range(len(labels)):
        others = [i for i in np.argsort(-similarity[q], kind="stable") if i != q]
        hits = np.array([labels[i] == labels[q] for i in others], dtype=float)
        precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        aps.append(float((precision * hits).sum() / hits.sum()))
    return float(np.mean(aps))


def test_late_fusion_beats_the_noisiest_input_without_collapsing() -> None:
    rng = np.random.default_rng(11)
    labels = np.repeat(np.arange(3), 6)
    truth = (labels[:, None] == labels[None, :]).astype(float)
    inputs = []
    for noise in (0.5, 0.7, 0.9):
        s = truth + noise * rng.standard_normal(truth.shape)
        inputs.append((s + s.T) / 2)
    fused = late_fusion(inputs, k=5, iterations=20)
    maps = [mean_average_precision(s, labels) for s in inputs]
    fused_map = mean_average_precision(fused, labels)
    assert fused_map > min(maps)
    assert fused_map > 0.9
    # The identity term keeps the rows informative: every song still prefers its own group,
    # while the same iterations without it drift toward a constant.
    off = ~np.eye(len(labels), dtype=bool)
    rows = fused[off].reshape(len(labels), -1)
    assert np.all(rows.max(axis=1) > 1.5 * rows.min(axis=1))
    weights = []
    for s in inputs:
        d = similarity_to_distance(s)
        scale = neighbour_scale(d, k=6)
        weights.append(affinity(d, scale, scale))
    drifted = snf(weights, k=5, iterations=20, identity=0.0)[off].reshape(len(labels), -1)

    def spread(x: np.ndarray) -> float:
        return float((np.ptp(x, axis=1) / x.mean(axis=1)).mean())

    assert spread(rows) > 2 * spread(drifted)


def test_late_fusion_gives_the_same_result_on_its_dense_and_sparse_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    for n in (3, 21, 41):
        sims = [rng.random((n, n)) for _ in range(2)]
        dense = late_fusion(sims, k=min(20, n - 1))
        monkeypatch.setattr(snf_module, "DENSE_UP_TO", 0)  # the sparse path
        sparse = late_fusion(sims, k=min(20, n - 1))
        monkeypatch.undo()
        np.testing.assert_allclose(dense, sparse, atol=1e-6)
