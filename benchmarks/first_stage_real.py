"""The first stage on real recordings (never Covers80): does a transformed copy find its original?

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/first_stage_real.py \
        --data /work/data/real --cache /work/cache/features --workers 2 --json OUT.json

The library is every cached real track of the calibration corpus plus the 150 originals of the
transformed positives (``coverscope calibrate`` analysed and cached them all); each transformed
copy (key, tempo, timbre, codec, a few with repeated sections) queries it. Real tracks of a
positive's group (possible versions of it) and the duplicates of the originals are left out.
Reported per first stage: MRR (one true item per query) and recall within the top k, for the
embedding alone, the coarse Qmax alone, and embedding shortlists of several sizes re-ordered by
the coarse Qmax (``model.first_stage``), with the coarse cost per pair, and refinements of that
order (a symmetrised z-score, the embedding distance added).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model.analysis import ANALYSIS_VERSION, SongAnalysis  # noqa: E402
from model.first_stage import (  # noqa: E402
    embedding_distances,
    order_shortlist,
    shortlist_indices,
    zscore,
)
from training.calibration import load_real_tracks, read_jsonl  # noqa: E402
from training.evaluation.cache import PairCache  # noqa: E402
from training.evaluation.coarse import CoarseDistances  # noqa: E402
from training.metrics import recall_at_k, retrieval_scores  # noqa: E402

KS = (1, 5, 10, 20, 50)


def load(folder: Path, ids: list[str]) -> dict[str, SongAnalysis]:
    return {i: SongAnalysis.from_bytes((folder / f"{i}.npz").read_bytes()) for i in ids}


def interleave(*orders: np.ndarray) -> list[int]:
    """Items of several rankings taken in turns (first of each, then second ...), each once."""
    out: list[int] = []
    seen: set[int] = set()
    for items in zip(*orders, strict=True):
        for item in (int(i) for i in items):
            if item not in seen:
                seen.add(item)
                out.append(item)
    return out


def library_embedding_rows(songs: dict[str, SongAnalysis], library: list[str]) -> np.ndarray:
    """(n, n) embedding distances among the library songs, inf on the diagonal."""
    rows = np.stack([embedding_distances(songs[s], [songs[o] for o in library]) for s in library])
    np.fill_diagonal(rows, np.inf)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", type=Path, required=True, help="the real corpus (tracks.jsonl, positives/)"
    )
    parser.add_argument(
        "--cache", type=Path, required=True, help="feature cache holding calibration's analyses"
    )
    parser.add_argument("--model-version", default="1.1.0")
    parser.add_argument("--shortlists", default="20,50,100,200")
    parser.add_argument(
        "--stats-shortlist", type=int, default=200, help="songs a library song's z-scale uses"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    base = args.cache / "calibration" / f"analysis-v{ANALYSIS_VERSION}-{args.model_version}"
    rows = list(read_jsonl(args.data / "positives" / "positives.jsonl"))
    positive_ids = {str(r["track_id"]) for r in rows}
    tracks = load_real_tracks(args.data / "tracks.jsonl")
    group_of = {t.track_id: t.group for t in tracks}
    positive_groups = {group_of.get(i, i) for i in positive_ids}
    cached = {p.stem for p in (base / "real").glob("*.npz")}
    real = [
        t.track_id
        for t in tracks
        if t.track_id in cached
        and t.track_id not in positive_ids
        and t.group not in positive_groups
    ]
    originals = [f"pos:{r['track_id']}" for r in rows]
    versions = [f"pos:{r['track_id']}~v" for r in rows]
    songs = {**load(base / "real", real), **load(base / "positives", originals + versions)}
    library = originals + real
    labels = np.array(list(range(len(originals))) + [-1 - i for i in range(len(real))])
    queries = [songs[v] for v in versions]
    print(f"library {len(library)} songs, {len(queries)} queries", file=sys.stderr)

    emb = np.stack([embedding_distances(q, [songs[s] for s in library]) for q in queries])
    coarse = CoarseDistances(
        songs,
        PairCache(args.cache / "pairs-library" / f"analysis-v{ANALYSIS_VERSION}"),
        workers=args.workers,
    )
    coarse.ensure((v, s) for v in versions for s in library)
    raw = np.array([[coarse.get(v, s) for s in library] for v in versions])

    # Each query's row of the library (its own original is relevant, label = its index).
    def scores(distances: np.ndarray) -> dict[str, float]:
        full = np.concatenate([np.full((len(versions), 1), np.inf), distances], axis=1)
        query_labels = np.concatenate([[0], labels])
        out: dict[str, float] = {}
        mrr, recall = [], {k: 0.0 for k in KS}
        for row, d in enumerate(full):
            query_labels[0] = row
            mrr.append(retrieval_scores(d[None], query_labels, np.array([0])).mrr)
            for k, v in recall_at_k(d[None], query_labels, np.array([0]), ks=KS).items():
                recall[k] += v / len(full)
        out["MRR"] = float(np.mean(mrr))
        out.update({f"recall@{k}": recall[k] for k in KS})
        return out

    result: dict[str, object] = {
        "library": len(library),
        "queries": len(versions),
        "embedding": scores(emb),
        "coarse": scores(raw),
    }
    # Candidate refinements, each within an embedding shortlist of ``size`` (the rest of the
    # library follows by embedding distance): "sym" also z-scores the distance on the library
    # song's side (its mean and spread over its own shortlist, which ingest could store);
    # "+embedding" adds the shortlist-z-scored embedding distance.
    own = {
        s: shortlist_indices(e, n=len(library), size=args.stats_shortlist + 1)
        for s, e in zip(library, library_embedding_rows(songs, library), strict=True)
    }
    coarse.ensure(
        (s, library[int(i)]) for s, row in own.items() for i in row if library[int(i)] != s
    )
    stats = {}
    for s, row in own.items():
        d = np.array([coarse.get(s, library[int(i)]) for i in row if library[int(i)] != s])
        stats[s] = (float(d.mean()), float(d.std()) or 1.0)
    mean = np.array([stats[s][0] for s in library])
    spread = np.array([stats[s][1] for s in library])

    def interleaved(size: int) -> np.ndarray:
        """The shortlist's coarse order and its embedding order taken in turns."""
        ranked = np.empty_like(emb)
        for row in range(len(versions)):
            chosen = shortlist_indices(emb[row], n=len(library), size=size)
            by_coarse = order_shortlist(chosen, raw[row, chosen], count=size)
            order = interleave(by_coarse, chosen)
            taken = set(order)
            rest = [int(i) for i in np.argsort(emb[row], kind="stable") if int(i) not in taken]
            ranked[row, np.array(order + rest, dtype=int)] = np.arange(len(library))
        return ranked

    def staged(size: int, *, sym: bool, with_embedding: bool) -> np.ndarray:
        ranked = np.empty_like(emb)
        for row in range(len(versions)):
            chosen = shortlist_indices(emb[row], n=len(library), size=size)
            key = zscore(raw[row, chosen])
            if sym:
                key = 0.5 * (key + (raw[row, chosen] - mean[chosen]) / spread[chosen])
            if with_embedding:
                key = key + zscore(emb[row, chosen])
            order = order_shortlist(chosen, key, count=size)
            taken = set(order.tolist())
            rest = [int(i) for i in np.argsort(emb[row], kind="stable") if int(i) not in taken]
            ranked[row, np.concatenate([order, rest]).astype(int)] = np.arange(len(library))
        return ranked

    for size in [int(s) for s in args.shortlists.split(",")] + [len(library)]:
        for sym in (False, True):
            for with_embedding in (False, True):
                name = f"shortlist {size} + coarse" + (" sym" if sym else "")
                name += " + embedding" if with_embedding else ""
                result[name] = scores(staged(size, sym=sym, with_embedding=with_embedding))
        result[f"shortlist {size}: coarse and embedding in turns"] = scores(interleaved(size))
    result["coarse_s_per_pair"] = coarse.seconds / max(1, coarse.computed)
    result["coarse_pairs_computed"] = coarse.computed
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
