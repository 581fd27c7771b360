"""Mixed load through the HTTP API: closed-loop clients and open-loop arrivals, pair checks
running alongside list, rank and job-status requests.

    nice -n 10 .venv/bin/python benchmarks/api_load.py --songs 10000 --real 12 \\
        --real-seconds 90 --phase closed:50:60 --phase closed:200:60 --phase open:250:60

The library: ``--songs`` synthetic songs (random unit embeddings, inserted directly) plus
``--real`` chord-loop songs of ``--real-seconds`` analysed as ingestion does (the pair checks
run between those), and ``--jobs`` finished job records. Each phase starts a fresh gunicorn API
(2 processes x 8 threads, as ``coverscope serve`` runs it), waits until both processes have
indexed the library, then runs:

- ``closed:N:S``: N keep-alive clients for S seconds, each sending its next request when the
  previous one answers (a 429 is honoured: the client waits ``Retry-After``);
- ``open:R:S``: requests arrive at R per second for S seconds whatever the server does (evenly
  spaced, sent by a pool of 256 client threads); a request's latency counts from its planned
  start, so a server that falls behind shows it.

The mix (``--mix``) weights the kinds: rank a random song, list a page, read a job's status,
check a random ordered pair of the real songs. A 429 ("overloaded": the API's check pool is
full) is counted apart from errors; an error is any other non-2xx status or a failed
connection. The API caches each pair's result per process: ``check_new`` is the first check
of a pair in the phase (always computed), ``check`` a repeat (computed once per process, then
cached). Memory is the resident set of the API's process tree (gunicorn master, its
workers and their check processes), sampled every second.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api_check import store_chord_songs
from api_common import Api, database, percentiles, seed_synthetic

from backend.storage.db import connect
from backend.storage.job_repository import JobRepository
from model.embed import Embedder

OPEN_LOOP_SENDERS = 256


@dataclass
class Library:
    synthetic: list[str]
    real: list[str]
    jobs: list[str]


@dataclass
class Results:
    samples: list[tuple[str, float, int]] = field(default_factory=list)
    """(kind, milliseconds, status; 0 for a failed connection)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    seen: set[str] = field(default_factory=set)

    def add(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            self.samples.append((kind, ms, status))

    def first_time(self, kind: str, path: str) -> str:
        """``check_new`` for the first check of a pair in this phase (never cached: the
        API computes it), else ``kind``."""
        if kind != "check":
            return kind
        with self.lock:
            new = path not in self.seen
            self.seen.add(path)
        return "check_new" if new else kind


def request_path(kind: str, rng: random.Random, library: Library) -> str:
    song = rng.choice(library.synthetic)
    if kind == "check":
        a, b = rng.sample(library.real, 2)
        return f"/api/check?a={a}&b={b}"
    return {
        "rank": f"/api/rank?song={song}&limit=20",
        "get": f"/api/songs/{song}",
        "list": f"/api/songs?page={rng.randint(1, 50)}&per_page=20",
        "search": f"/api/songs?q=Synthetic%20{rng.randint(1, 999)}&per_page=10",
        "job": f"/api/jobs/{rng.choice(library.jobs)}",
        "health": "/api/health",
    }[kind]


def send(api: Api, conn: Any, path: str) -> tuple[int, int, Any]:
    """(status, Retry-After seconds or 0, connection to use next). A kept-alive connection
    the server has closed meanwhile (gunicorn drops idle ones after 2 s) is retried once on
    a new one, as HTTP clients do for a GET; 0 when that fails too."""
    for attempt in range(2):
        try:
            conn.request("GET", path, headers=api.headers)
            reply = conn.getresponse()
            reply.read()
            return reply.status, int(reply.getheader("Retry-After") or 0), conn
        except OSError:
            conn.close()
            conn = api.connection()
            if attempt:
                return 0, 0, conn
    raise AssertionError("unreachable")


def closed_client(  # noqa: PLR0917 (a thread target)
    api: Api, library: Library, mix: dict[str, int], stop_at: float, seed: int, out: Results
) -> None:
    rng = random.Random(seed)
    kinds, weights = list(mix), list(mix.values())
    conn = api.connection()
    while time.monotonic() < stop_at:
        kind = rng.choices(kinds, weights)[0]
        path = request_path(kind, rng, library)
        kind = out.first_time(kind, path)
        t0 = time.perf_counter()
        status, retry_after, conn = send(api, conn, path)
        out.add(kind, (time.perf_counter() - t0) * 1000, status)
        if status == 429:
            time.sleep(max(0.0, min(retry_after, stop_at - time.monotonic())))


def run_closed(
    api: Api, library: Library, mix: dict[str, int], clients: int, seconds: float
) -> Results:
    out = Results()
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=closed_client, args=(api, library, mix, stop_at, i, out))
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def run_open(
    api: Api, library: Library, mix: dict[str, int], rate: float, seconds: float
) -> Results:
    out = Results()
    planned: queue.Queue[tuple[float, str, str] | None] = queue.Queue()

    def sender() -> None:
        conn = api.connection()
        while (item := planned.get()) is not None:
            start, kind, path = item
            delay = start - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, _, conn = send(api, conn, path)
            out.add(out.first_time(kind, path), (time.perf_counter() - start) * 1000, status)

    threads = [threading.Thread(target=sender) for _ in range(OPEN_LOOP_SENDERS)]
    for t in threads:
        t.start()
    rng = random.Random(0)
    kinds, weights = list(mix), list(mix.values())
    begin = time.perf_counter() + 0.5
    for i in range(int(rate * seconds)):
        kind = rng.choices(kinds, weights)[0]
        planned.put((begin + i / rate, kind, request_path(kind, rng, library)))
    for _ in threads:
        planned.put(None)
    for t in threads:
        t.join()
    return out


def tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants (MB; shared pages counted in each)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    total_kb = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def summary(results: Results, seconds: float, mix: dict[str, int]) -> dict[str, Any]:
    samples = results.samples
    answered = [(k, ms) for k, ms, status in samples if 200 <= status < 300]
    failed = [(k, status) for k, _, status in samples if status == 0 or status >= 300]
    errors = Counter(f"{status} {k}" for k, status in failed if status != 429)
    checks = [ms for k, ms in answered if k.startswith("check")]
    return {
        "seconds": round(seconds, 1),
        "requests": len(samples),
        "requests_per_s": round(len(samples) / seconds, 1),
        "answered_per_s": round(len(answered) / seconds, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "overloaded_429": sum(1 for _, _, status in samples if status == 429),
        "check_pairs_new": sum(1 for k, _ in answered if k == "check_new"),
        "checks_per_s": round(len(checks) / seconds, 2),
        **percentiles([ms for _, ms in answered] or [0.0]),
        "checks": percentiles(checks or [0.0]),
        "per_kind": {
            kind: percentiles([ms for k, ms in answered if k == kind])
            for kind in [*mix, "check_new"]
            if any(k == kind for k, _ in answered)
        },
    }


def run_phase(
    phase: str, settings: Any, library: Library, mix: dict[str, int], songs: int
) -> dict[str, Any]:
    mode, amount, seconds_text = phase.split(":")
    seconds = float(seconds_text)
    api = Api(settings)
    try:
        api.wait_indexed(songs)
        a, b = library.real[:2]
        for _ in range(8):  # both processes: a rank, and a check (its pool has started)
            api.get(f"/api/rank?song={library.synthetic[0]}")
            api.get(f"/api/check?a={a}&b={b}")
        memory: list[float] = []
        stop = threading.Event()

        def sample_memory() -> None:
            while not stop.wait(1.0):
                memory.append(tree_rss_mb(api.proc.pid))

        sampler = threading.Thread(target=sample_memory, daemon=True)
        load_before = os.getloadavg()[0]
        rss_start = tree_rss_mb(api.proc.pid)
        sampler.start()
        started = time.monotonic()
        if mode == "closed":
            results = run_closed(api, library, mix, int(amount), seconds)
        else:
            results = run_open(api, library, mix, float(amount), seconds)
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        row = {
            "phase": phase,
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            **summary(results, elapsed, mix),
            "rss_mb": {
                "start": round(rss_start, 1),
                "max": round(max(memory, default=rss_start), 1),
                "end": round(memory[-1] if memory else rss_start, 1),
            },
        }
        if mode == "open":
            row["offered_per_s"] = float(amount)
        return row
    finally:
        api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--songs", type=int, default=10000, help="synthetic songs")
    parser.add_argument("--real", type=int, default=16, help="analysed songs (checks)")
    parser.add_argument("--real-seconds", type=float, default=120.0)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--mix", default="rank=35,list=30,job=15,check=20")
    parser.add_argument("--phase", action="append", default=None, help="closed:N:S | open:R:S")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    phases = args.phase or ["closed:50:60", "closed:200:60", "open:40:60"]
    mix = {k: int(v) for k, v in (part.split("=") for part in args.mix.split(","))}
    embedder = Embedder.load()
    out: dict[str, Any] = {"songs": args.songs, "real": args.real, "mix": args.mix, "phases": []}
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, repo = database(Path(tmp))
        try:
            seed_synthetic(repo, 0, args.songs, embedder.version, embedder.dim)
            synthetic = [str(i) for i in repo.ids()]
            real = store_chord_songs(repo, settings, embedder, args.real, args.real_seconds)
            jobs = JobRepository(connect(db.uri, settings))
            job_ids = []
            for i in range(args.jobs):
                job = jobs.create("ingest_url", f"bench {i}", {"claim": f"bench:{i}"})
                jobs.finish(job["_id"], real[i % len(real)])
                job_ids.append(job["_id"])
            library = Library(synthetic=synthetic, real=real, jobs=job_ids)
            total = args.songs + args.real
            for phase in phases:
                row = run_phase(phase, settings, library, mix, total)
                print(json.dumps(row), flush=True)
                out["phases"].append(row)
        finally:
            db.stop()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
