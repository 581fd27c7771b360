"""Rank latency through the HTTP API at 1k, 10k and 100k songs (synthetic embeddings).

    nice -n 10 .venv/bin/python benchmarks/api_rank.py --sizes 1000 10000 100000 --requests 300

Each size: seed the library up to that size, warm both gunicorn processes (their search
indexes load on first use), then time ``--requests`` sequential ``GET /api/rank`` calls for
random songs over one keep-alive connection.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from api_common import Api, database, percentiles, seed_synthetic

from model.embed import Embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    embedder = Embedder.load()
    out = []
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, repo = database(Path(tmp))
        api = Api(settings)
        try:
            have = 0
            for size in sorted(args.sizes):
                seed_synthetic(repo, have, size, embedder.version, embedder.dim)
                have = size
                ids = [str(i) for i in repo.ids()]
                started = time.perf_counter()
                api.wait_indexed(size)
                conn = api.connection()
                for _ in range(8):  # both processes load the new snapshot
                    status, body = api.get(
                        f"/api/rank?song={ids[0]}&limit={args.limit}", api.connection()
                    )
                    assert status == 200, (status, body)
                load_s = time.perf_counter() - started
                rng = np.random.default_rng(size)
                samples = []
                for _ in range(args.requests):
                    song = ids[int(rng.integers(len(ids)))]
                    t0 = time.perf_counter()
                    status, body = api.get(f"/api/rank?song={song}&limit={args.limit}", conn)
                    samples.append((time.perf_counter() - t0) * 1000)
                    assert status == 200 and len(body["results"]) == args.limit
                row = {
                    "songs": size,
                    "limit": args.limit,
                    "index_load_s": round(load_s, 2),
                    **percentiles(samples),
                }
                print(json.dumps(row), flush=True)
                out.append(row)
        finally:
            api.stop()
            db.stop()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
