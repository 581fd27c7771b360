"""How hard is a built set? Mean average precision of two trivial key-invariant baselines.

- ``profile``: each version's time-averaged chroma (12,), compared by the best cosine over
  the 12 transpositions (key only, no time).
- ``2dftm``: the median 2-D Fourier magnitude of 75-frame chroma patches at ~2.7 fps
  (Bertin-Mahieux & Ellis 2012), invariant to key and to where a pattern starts.

A source on which these baselines are already near-perfect teaches the CNN little; chance
level is about 1 / works. Run:

    python -m datasets.difficulty ../trainingdata/music21 [--max-works 400]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from datasets.manifest import ManifestEntry, read_manifest

log = logging.getLogger(__name__)


def profile(path: Path) -> np.ndarray:
    """Unit-norm, mean-removed time average of a (12, n) chroma."""
    c = np.load(path, allow_pickle=False).mean(axis=1)
    c = c - c.mean()
    result: np.ndarray = (c / (np.linalg.norm(c) or 1.0)).astype(np.float32)
    return result


def fourier_magnitude(path: Path, *, block: int = 16, patch: int = 75) -> np.ndarray:
    """Median |2-D FFT| of (12, patch) chroma patches: key- and shift-invariant, unit norm."""
    from model.hpcp import block_mean

    c = block_mean(np.load(path, allow_pickle=False), block)
    if c.shape[1] < patch:
        c = np.tile(c, (1, -(-patch // c.shape[1])))
    starts = range(0, c.shape[1] - patch + 1, max(1, patch // 4))
    mags = [np.abs(np.fft.fft2(c[:, a : a + patch])).ravel() for a in starts]
    v = np.median(np.stack(mags), axis=0)
    v = v - v.mean()
    result: np.ndarray = (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)
    return result


def key_invariant_similarity(p: np.ndarray) -> np.ndarray:
    """(n, 12) profiles -> (n, n) best cosine over the 12 rotations."""
    rolled = np.stack([np.roll(p, k, axis=1) for k in range(12)])  # (12, n, 12)
    result: np.ndarray = np.einsum("id,kjd->kij", p, rolled).max(axis=0)
    return result


def mean_average_precision(sim: np.ndarray, labels: list[str]) -> float:
    """MAP over queries that have at least one other version of their work."""
    lab = np.asarray(labels)
    aps = []
    for i in range(len(lab)):
        s = np.delete(sim[i], i)
        rel = np.delete(lab == lab[i], i)
        if not rel.any():
            continue
        hits = rel[np.argsort(-s, kind="stable")]
        ranks = np.flatnonzero(hits) + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    return float(np.mean(aps)) if aps else float("nan")


def difficulty(root: Path, *, max_works: int = 400, seed: int = 0) -> dict[str, dict[str, float]]:
    """Baseline MAPs per source, each on at most ``max_works`` of its works."""
    by_source: dict[str, dict[str, list[ManifestEntry]]] = defaultdict(lambda: defaultdict(list))
    for e in read_manifest(root / "manifest.jsonl"):
        by_source[e.source][e.work_id].append(e)
    rng = np.random.default_rng(seed)
    out = {}
    for source, works in sorted(by_source.items()):
        ids = sorted(works)
        chosen = [ids[i] for i in rng.permutation(len(ids))[:max_works]]
        entries = [e for w in chosen for e in works[w]]
        labels = [e.work_id for e in entries]
        p = np.stack([profile(root / e.feature_path) for e in entries])
        f = np.stack([fourier_magnitude(root / e.feature_path) for e in entries])
        out[source] = {
            "works": len(chosen),
            "versions": len(entries),
            "map_profile": round(mean_average_precision(key_invariant_similarity(p), labels), 3),
            "map_2dftm": round(mean_average_precision(f @ f.T, labels), 3),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--max-works", type=int, default=400)
    args = parser.parse_args(argv)
    print(json.dumps(difficulty(args.root, max_works=args.max_works), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
