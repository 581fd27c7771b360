"""``coverscope evaluate covers80``: every track as a query against all others.

Features are computed once per track (and per query transformation) into a cache; Qmax
alignments are cached per pair set. Methods:

- ``embedding``: Euclidean distance between whole-song embeddings.
- ``qmax``: Serra'09 Qmax alignment distance of every pair, z-scored per query.
- ``hybrid``: embedding top-K re-ranked by a fusion of both distances (see ``fuse``).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from model.embed import Embedder
from model.hpcp import cnn_features
from training.metrics import (
    at_threshold,
    pair_labels,
    retrieval_scores,
    verification,
    zscore_rows,
)

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Track:
    work_id: str
    track_id: str
    path: Path


@dataclass(frozen=True)
class Variant:
    """How queries are transformed before analysis (references stay untouched)."""

    pitch_shift: int = 0
    time_stretch: float = 1.0

    @property
    def is_identity(self) -> bool:
        return self.pitch_shift == 0 and self.time_stretch == 1.0

    @property
    def tag(self) -> str:
        return "orig" if self.is_identity else f"p{self.pitch_shift:+d}_t{self.time_stretch:.2f}"


def covers80_root(flag: Path | None) -> Path:
    """The Covers80 folder: ``--data``, else ``$COVERS80_DIR``, else ``../shared/datasets/covers80``."""
    if flag:
        return flag
    if os.environ.get("COVERS80_DIR"):
        return Path(os.environ["COVERS80_DIR"])
    return REPO.parent / "shared" / "datasets" / "covers80"


def load_covers80(root: Path) -> list[Track]:
    with (root / "covers80.csv").open(newline="") as f:
        return [Track(r["work_id"], r["track_id"], root / r["file"]) for r in csv.DictReader(f)]


def _analyse(job: tuple[str, str, int, float]) -> str:
    """Worker: decode (and transform) one file, store its raw HPCP. Runs in a child process."""
    from model.audio import decode
    from model.hpcp import hpcp

    src, dst, pitch, stretch = job
    y = decode(src)
    if pitch or stretch != 1.0:
        from pedalboard import time_stretch

        y = time_stretch(
            y[None],
            22050.0,
            stretch_factor=stretch,
            pitch_shift_in_semitones=float(pitch),
            high_quality=False,
        )[0]
    np.save(dst, hpcp(y))
    return dst


def cached_chroma(
    tracks: list[Track], cache: Path, variant: Variant, *, workers: int
) -> list[np.ndarray]:
    """Raw HPCP (12, n) of every track, computed once into ``cache/<variant>/``."""
    folder = cache / variant.tag
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{t.track_id}.npy" for t in tracks]
    todo = [
        (str(t.path), str(p), variant.pitch_shift, variant.time_stretch)
        for t, p in zip(tracks, paths, strict=True)
        if not p.exists()
    ]
    if todo:
        _parallel(_analyse, todo, workers=workers, desc=f"features {variant.tag}")
    return [np.load(p, allow_pickle=False) for p in paths]


def _parallel(fn: Callable[[Any], Any], jobs: list[Any], *, workers: int, desc: str) -> list[Any]:
    if workers <= 1:
        return [fn(j) for j in tqdm(jobs, desc=desc, unit="item")]
    with get_context("fork").Pool(workers) as pool:
        return list(tqdm(pool.imap(fn, jobs, chunksize=4), total=len(jobs), desc=desc, unit="item"))


def embed_all(embedder: Embedder, chromas: list[np.ndarray], desc: str) -> np.ndarray:
    """Whole-song embeddings (n, dim) of raw HPCP matrices."""
    return np.stack([embedder.embed(cnn_features(c)) for c in tqdm(chromas, desc=desc)])


def euclidean(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(m, n) distances between rows of ``q`` (m, dim) and ``r`` (n, dim)."""
    return np.linalg.norm(q[:, None, :] - r[None, :, :], axis=2)


_PAIR_DATA: dict[str, dict[int, np.ndarray]] = {}
QMAX_CHUNK = 200


def _qmax(pair: tuple[int, int]) -> float:
    from model.align import align

    i, j = pair
    return align(_PAIR_DATA["queries"][i], _PAIR_DATA["refs"][j], explain=False).distance


def qmax_distances(
    queries: dict[int, np.ndarray],
    refs: dict[int, np.ndarray],
    pairs: Iterable[tuple[int, int]],
    *,
    cache_file: Path,
    workers: int,
    symmetric: bool,
) -> dict[tuple[int, int], float]:
    """Qmax distance of each (query, reference) pair of track indices, cached in ``cache_file``.

    ``symmetric``: queries and references are the same songs, so (i, j) and (j, i) share
    one alignment, computed as (min, max).
    """
    done: dict[tuple[int, int], float] = {}
    if cache_file.exists():
        raw = json.loads(cache_file.read_text())
        done = {(int(k.split(",")[0]), int(k.split(",")[1])): float(v) for k, v in raw.items()}
    pairs = list(pairs)
    if symmetric:
        pairs = [(min(p), max(p)) for p in pairs]
    todo = sorted({p for p in pairs if p not in done})
    _PAIR_DATA["queries"], _PAIR_DATA["refs"] = queries, refs
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(todo), QMAX_CHUNK):
        chunk = todo[start : start + QMAX_CHUNK]
        desc = f"qmax {start + len(chunk)}/{len(todo)}"
        for pair, dist in zip(
            chunk, _parallel(_qmax, chunk, workers=workers, desc=desc), strict=True
        ):
            done[pair] = dist
        # Saved after every chunk: an interrupted run resumes where it stopped.
        cache_file.write_text(json.dumps({f"{i},{j}": d for (i, j), d in done.items()}))
    if symmetric:
        done.update({(j, i): d for (i, j), d in list(done.items())})
    return done


def fuse(emb: np.ndarray, qmax: np.ndarray, fusion: dict[str, float] | None = None) -> np.ndarray:
    """Fused score of K candidates (smaller = closer): a weighted sum of both distances,
    each z-scored over the candidates. Weights come from the checkpoint's validation-fitted
    ``extra["fusion"]`` (``w_embedding``, ``w_qmax``), else equal weights."""
    w_emb = (fusion or {}).get("w_embedding", 1.0)
    w_qmax = (fusion or {}).get("w_qmax", 1.0)
    finite = np.isfinite(qmax)
    fill = qmax[finite].max() + 1.0 if finite.any() else 1.0
    q = np.where(finite, qmax, fill)

    def z(x: np.ndarray) -> np.ndarray:
        return (x - x.mean()) / (x.std() if x.std() > 1e-12 else 1.0)

    return w_emb * z(emb) + w_qmax * z(q)


def hybrid_distances(
    emb: np.ndarray,
    qmax: dict[tuple[int, int], float],
    k: int,
    fusion: dict[str, float] | None,
    queries: np.ndarray | None = None,
) -> np.ndarray:
    """Re-rank each query's embedding top-K by ``fuse``; the rest keep embedding order behind.

    ``emb`` is (m, n) with ``queries`` naming each row's own item (default: square, row i is i).
    Returns rank-valued distances of the same shape.
    """
    rows = np.arange(emb.shape[0]) if queries is None else np.asarray(queries)
    out = np.empty_like(emb)
    for row, q in enumerate(rows):
        order = [int(r) for r in np.argsort(emb[row], kind="stable") if r != q]
        top = order[:k]
        fused = fuse(emb[row, top], np.array([qmax[(int(q), r)] for r in top]), fusion)
        out[row, q] = -1.0
        reranked = list(np.asarray(top)[np.argsort(fused, kind="stable")]) + order[k:]
        out[row, reranked] = np.arange(len(reranked))
    return out


def top_k_pairs(emb: np.ndarray, queries: np.ndarray, k: int) -> list[tuple[int, int]]:
    """(query item, candidate item) for each query's ``k`` nearest by embedding."""
    return [
        (int(q), int(r))
        for row, q in enumerate(queries)
        for r in [r for r in np.argsort(emb[row], kind="stable") if r != q][:k]
    ]


def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    tracks = load_covers80(covers80_root(args.data))
    labels = np.array([t.work_id for t in tracks])
    n = len(tracks)
    variant = Variant(args.pitch_shift, args.time_stretch)
    # A subset of queries (spread over the list) keeps transformed runs affordable.
    queries = np.arange(n)
    if args.queries and args.queries < n:
        queries = np.unique(np.linspace(0, n - 1, args.queries).round().astype(int))
    cache = Path(args.cache) / "covers80"

    t0 = time.perf_counter()
    refs = dict(enumerate(cached_chroma(tracks, cache, Variant(), workers=args.workers)))
    if variant.is_identity:
        query_chroma = refs  # symmetric pairs (min, max) may start from any track
    else:
        chosen = [tracks[int(q)] for q in queries]
        transformed = cached_chroma(chosen, cache, variant, workers=args.workers)
        query_chroma = {int(q): c for q, c in zip(queries, transformed, strict=True)}
    timings["features_s"] = time.perf_counter() - t0

    embedder = Embedder.load(args.model)
    method = args.method
    result: dict[str, Any] = {
        "dataset": "covers80",
        "tracks": n,
        "queries": len(queries),
        "method": method,
        "model_version": embedder.version,
        "query_variant": {"pitch_shift": variant.pitch_shift, "time_stretch": variant.time_stretch},
    }
    qmax_cache = cache / f"qmax-{variant.tag}.json"
    threshold: float | None = None
    if method in {"embedding", "hybrid"}:
        t0 = time.perf_counter()
        ref_vectors = embed_all(embedder, [refs[i] for i in range(n)], "embed")
        query_vectors = (
            ref_vectors[queries]
            if variant.is_identity
            else embed_all(embedder, [query_chroma[int(q)] for q in queries], "embed queries")
        )
        emb = euclidean(query_vectors, ref_vectors)
        timings["embed_s"] = time.perf_counter() - t0
    if method == "embedding":
        distances = emb
        threshold = embedder.calibration.threshold
    elif method == "qmax":
        t0 = time.perf_counter()
        pairs = [(int(q), j) for q in queries for j in range(n) if j != q]
        got = qmax_distances(
            query_chroma,
            refs,
            pairs,
            cache_file=qmax_cache,
            workers=args.workers,
            symmetric=variant.is_identity,
        )
        raw = np.full((len(queries), n), np.inf)
        for row, q in enumerate(queries):
            for j in range(n):
                if j != q:
                    raw[row, j] = got[(int(q), j)]
        timings["align_s"] = time.perf_counter() - t0
        result["non_finite_pairs"] = int(np.sum(~np.isfinite(raw)) - len(queries))
        distances = zscore_rows(raw) if len(queries) == n else raw
    else:
        result["top_k"] = args.top_k
        t0 = time.perf_counter()
        got = qmax_distances(
            query_chroma,
            refs,
            top_k_pairs(emb, queries, args.top_k),
            cache_file=qmax_cache,
            workers=args.workers,
            symmetric=variant.is_identity,
        )
        timings["align_s"] = time.perf_counter() - t0
        timings["align_per_query_s"] = timings["align_s"] / len(queries)
        fusion = embedder.extra.get("fusion")
        result["fusion"] = fusion or "equal weights (no fusion in checkpoint)"
        distances = hybrid_distances(emb, got, args.top_k, fusion, queries)

    t0 = time.perf_counter()
    result.update(retrieval_scores(distances, labels, queries).to_dict())
    keys = ["MAP", "MRR", "MR1", "P@10"]
    full = len(queries) == n
    if full:
        pair_d, pair_y = pair_labels(distances, labels)
        ver = verification(pair_d, pair_y)
        result["ROC-AUC"], result["PR-AP"] = ver.roc_auc, ver.pr_ap
        result["curves"] = {"roc": ver.roc, "pr": ver.pr}
        keys += ["ROC-AUC", "PR-AP"]
        if threshold is not None:
            result["at_threshold"] = at_threshold(pair_d, pair_y, threshold)
    timings["metrics_s"] = time.perf_counter() - t0
    timings["wall_s"] = time.perf_counter() - started
    result["timings"] = {k: round(v, 2) for k, v in timings.items()}

    name = f"covers80-{method}" + ("" if variant.is_identity else f"-{variant.tag}")
    print(json.dumps({"method": method, **{k: round(result[k], 4) for k in keys}}))
    if full and variant.is_identity and args.plots:
        result["plots"] = plot_curves(ver.roc, ver.pr, Path(args.plots), name, result)
        out = Path(args.plots) / "evaluation"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


def plot_curves(
    roc: list[tuple[float, float, float]],
    pr: list[tuple[float, float, float]],
    folder: Path,
    name: str,
    result: dict[str, Any],
) -> list[str]:
    """Write ROC and PR curves as PNG files into ``folder``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, curve, (xl, yl) in (
        ("roc", roc, ("false positive rate", "true positive rate")),
        ("pr", pr, ("recall", "precision")),
    ):
        fig, ax = plt.subplots(figsize=(4.5, 4))
        xs, ys = [p[0] for p in curve], [p[1] for p in curve]
        ax.plot(xs, ys, lw=2)
        if kind == "roc":
            ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
        ax.set(xlabel=xl, ylabel=yl, xlim=(0, 1), ylim=(0, 1.02))
        figure = result["ROC-AUC"] if kind == "roc" else result["PR-AP"]
        label = "AUC" if kind == "roc" else "AP"
        ax.set_title(
            f"Covers80 {result['method']} ({result['model_version']}): {label} {figure:.3f}"
        )
        ax.title.set_fontsize(9)
        fig.tight_layout()
        path = folder / f"{name}-{kind}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path))
    return written
