"""Every metric against a brute-force oracle on small random cases."""

import numpy as np
import pytest

from training.metrics import (
    at_threshold,
    pair_labels,
    recall_at_k,
    retrieval_scores,
    verification,
    zscore_rows,
)


def oracle(distances: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Explicit loops: sort the others, walk the list, count."""
    aps, rrs, firsts, p10s = [], [], [], []
    n = len(labels)
    for q in range(n):
        others = sorted((distances[q][r], r) for r in range(n) if r != q)
        hits, precisions, first = 0, [], None
        for pos, (_, r) in enumerate(others, start=1):
            if labels[r] == labels[q]:
                hits += 1
                precisions.append(hits / pos)
                first = first or pos
        if not hits:
            continue
        aps.append(sum(precisions) / hits)
        rrs.append(1 / first)
        firsts.append(first)
        p10s.append(sum(1 for _, r in others[:10] if labels[r] == labels[q]) / 10)
    return {"MAP": np.mean(aps), "MRR": np.mean(rrs), "MR1": np.mean(firsts), "P@10": np.mean(p10s)}


@pytest.mark.parametrize("seed", range(5))
def test_retrieval_matches_the_oracle(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, 25)
    d = rng.random((25, 25))
    got = retrieval_scores(d, labels).to_dict()
    want = oracle(d, labels)
    for key in want:
        assert got[key] == pytest.approx(want[key]), key


def test_perfect_ranking() -> None:
    labels = np.array([0, 0, 1, 1, 2, 2])
    d = (labels[:, None] != labels[None, :]).astype(float)
    s = retrieval_scores(d, labels)
    assert (s.map, s.mrr, s.mr1, s.p_at_10) == pytest.approx((1.0, 1.0, 1.0, 0.1))


def test_queries_without_relevant_items_are_skipped() -> None:
    labels = np.array([0, 0, 1])
    d = np.array([[0, 1, 2], [1, 0, 2], [2, 1, 0]], dtype=float)
    assert retrieval_scores(d, labels).map == 1.0


def test_infinite_distances_rank_last() -> None:
    labels = np.array([0, 0, 1])
    d = np.array([[0, np.inf, 1], [np.inf, 0, 1], [1, 1, 0]], dtype=float)
    assert retrieval_scores(d, labels).mr1 == 2.0


def test_verification_and_threshold_against_counting() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 5, 30)
    d = rng.random((30, 30))
    pd, py = pair_labels(d, labels)
    assert len(pd) == 30 * 29 // 2
    v = verification(pd, py)
    pos, neg = pd[py == 1], pd[py == 0]
    auc = np.mean([(p < n) + 0.5 * (p == n) for p in pos for n in neg])
    assert v.roc_auc == pytest.approx(auc)
    for fpr, tpr, dist in v.roc:
        assert fpr == pytest.approx(np.mean(neg <= dist)) and tpr == pytest.approx(
            np.mean(pos <= dist)
        )
    for recall, precision, dist in v.pr[:-1]:
        assert recall == pytest.approx(np.mean(pos <= dist))
        assert precision == pytest.approx(np.sum(pos <= dist) / np.sum(pd <= dist))
    t = at_threshold(pd, py, 0.4)
    tp = np.sum((pd <= 0.4) & (py == 1))
    assert t["precision"] == pytest.approx(tp / np.sum(pd <= 0.4))
    assert t["recall"] == pytest.approx(tp / np.sum(py))


def test_zscore_rows_handles_non_finite() -> None:
    d = np.array([[0, 1, np.inf], [1, 0, 2], [np.inf, 2, 0]], dtype=float)
    z = zscore_rows(d)
    assert np.all(np.isfinite(z))
    assert z[0, 1] < z[0, 2]


@pytest.mark.parametrize("seed", range(4))
def test_recall_at_k_against_counting(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 30
    labels = rng.integers(0, 8, size=n)
    distances = rng.random((n, n))
    found, total = {k: 0 for k in (1, 5, 10)}, 0
    for q in range(n):
        others = sorted((distances[q][r], r) for r in range(n) if r != q)
        for pos, (_, r) in enumerate(others, start=1):
            if labels[r] == labels[q]:
                total += 1
                for k in found:
                    found[k] += pos <= k
    got = recall_at_k(distances, labels, ks=(1, 5, 10))
    assert got == pytest.approx({k: found[k] / total for k in found})
    rows = np.array([3, 7])
    some = recall_at_k(distances[rows], labels, rows, ks=(n,))
    assert some[n] == 1.0 or not any(
        labels[r] == labels[q] for q in rows for r in range(n) if r != q
    )
