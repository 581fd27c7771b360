"""Ingest time of one song, until everything is stored: decode, HPCP, embedding, the fused
scorer's analysis, the feature-store objects and the song document (what a worker does for a
job once the audio is local; queue latency and the download are not included).

    nice -n 10 .venv/bin/python benchmarks/ingest_song.py --seconds 180 --runs 5

The song is a synthetic rendition (``tests/renditions.py``) encoded as AAC, like a download.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from api_common import database

from backend.ingest.analyse import analyse_and_store
from backend.storage.feature_store import LocalStore
from model.audio import encode
from model.embed import Embedder
from tests.renditions import PROGRESSION_A, song


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    embedder = Embedder.load()
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, repo = database(Path(tmp))
        store = LocalStore(settings.feature_dir)
        times = []
        try:
            for run in range(args.runs + 1):
                path = encode(
                    song(PROGRESSION_A, melody_seed=run, seconds=args.seconds),
                    Path(tmp) / f"song{run}.m4a",
                )
                t0 = time.perf_counter()
                analyse_and_store(
                    path,
                    {"title": f"song {run}", "artist": "", "source": "upload", "url": None},
                    lambda stage, percent: None,
                    settings=settings,
                    songs=repo,
                    store=store,
                    embedder=embedder,
                )
                if run:  # the first run warms up Essentia and torch
                    times.append(time.perf_counter() - t0)
        finally:
            db.stop()
    print(
        json.dumps(
            {
                "seconds": args.seconds,
                "runs": len(times),
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
                "all_s": [round(t, 3) for t in times],
            }
        )
    )


if __name__ == "__main__":
    main()
