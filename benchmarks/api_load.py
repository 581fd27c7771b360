"""Concurrent load through the HTTP API: N keep-alive clients for D seconds, a read-mostly mix.

    nice -n 10 .venv/bin/python benchmarks/api_load.py --songs 10000 --clients 50 --seconds 60

Each client loops over a weighted mix (``--mix``, default: rank a random song 50, get a
song 20, list a page 15, search titles 10, health 5). Reports requests/s, latency
percentiles overall and per kind, and every error (non-2xx status or connection failure).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from api_common import Api, database, percentiles, seed_synthetic

from model.embed import Embedder


def request_path(kind: str, rng: random.Random, ids: list[str]) -> str:
    song = rng.choice(ids)
    return {
        "rank": f"/api/rank?song={song}&limit=20",
        "get": f"/api/songs/{song}",
        "list": f"/api/songs?page={rng.randint(1, 50)}&per_page=20",
        "search": f"/api/songs?q=Synthetic%20{rng.randint(1, 999)}&per_page=10",
        "health": "/api/health",
    }[kind]


def client_loop(  # noqa: PLR0917 (a thread target)
    api: Api,
    ids: list[str],
    mix: dict[str, int],
    stop_at: float,
    seed: int,
    out: dict[str, list],
) -> None:
    rng = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    conn = api.connection()
    while time.monotonic() < stop_at:
        kind = rng.choices(kinds, weights)[0]
        path = request_path(kind, rng, ids)
        t0 = time.perf_counter()
        try:
            status, _ = api.get(path, conn)
            if status >= 300:
                out["errors"].append(f"{status} {kind}")
        except OSError as exc:
            out["errors"].append(f"{type(exc).__name__} {kind}")
            conn.close()
            conn = api.connection()
        out["samples"].append((kind, (time.perf_counter() - t0) * 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--songs", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--mix", default="rank=50,get=20,list=15,search=10,health=5")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    mix = {k: int(v) for k, v in (part.split("=") for part in args.mix.split(","))}
    embedder = Embedder.load()
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, repo = database(Path(tmp))
        seed_synthetic(repo, 0, args.songs, embedder.version, embedder.dim)
        ids = [str(i) for i in repo.ids()]
        api = Api(settings)
        try:
            for _ in range(8):
                api.get(f"/api/rank?song={ids[0]}")
            results: dict[str, list] = {"samples": [], "errors": []}
            stop_at = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=client_loop, args=(api, ids, mix, stop_at, i, results))
                for i in range(args.clients)
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - started
            samples = results["samples"]
            total = len(samples)
            out = {
                "songs": args.songs,
                "clients": args.clients,
                "mix": args.mix,
                "seconds": round(elapsed, 1),
                "requests": total,
                "requests_per_s": round(total / elapsed, 1),
                "errors": len(results["errors"]),
                "error_kinds": dict(Counter(results["errors"])),
                **percentiles([ms for _, ms in samples]),
                "per_kind": {
                    kind: percentiles([ms for k, ms in samples if k == kind])
                    for kind in mix
                    if any(k == kind for k, _ in samples)
                },
            }
            print(json.dumps(out), flush=True)
            if args.json:
                args.json.write_text(json.dumps(out, indent=2))
        finally:
            api.stop()
            db.stop()


if __name__ == "__main__":
    main()
