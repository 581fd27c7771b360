"""Bulk import through the API, drained from a Redis queue by 1, 2, ... worker processes.

    nice -n 10 .venv/bin/python benchmarks/ingest_bulk.py --tracks 200 --seconds 30 \\
        --workers 1 2 --json OUT

Renders ``--tracks`` distinct synthetic songs of ``--seconds`` (``tests/renditions.py``: a
chord progression with its own melody, AAC like a download), starts a throwaway
``redis-server``, and for each worker count: a fresh database, feature folder and queue, the
API (gunicorn, as ``coverscope serve`` runs it) and that many ``backend.jobs.worker``
processes (one consumer thread each). Every track is uploaded with ``POST /api/songs/upload``;
the clock runs from the first upload until the last job is done. A job does what any ingest
does: decode, HPCP, embedding, the fused scorer's analysis, feature-store objects, the song
document. The run checks that every track became exactly one song with a current analysis.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from api_common import REPO, Api, percentiles, stop_cleanly_on_sigterm
from pymongo import MongoClient
from pymongo.database import Database

from backend.access import key_path, load_or_create_key
from backend.serve import child_env
from backend.settings import Settings
from backend.storage.embedded import EmbeddedMongo, free_port
from model.analysis import ANALYSIS_VERSION
from model.audio import encode
from model.score import ScorerConfig
from tests.renditions import PROGRESSION_A, PROGRESSION_B, song


def render_tracks(folder: Path, count: int, seconds: float) -> list[Path]:
    """``count`` distinct tracks in ``folder`` (kept from an earlier run with the same length)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"track{i:03d}-{seconds:g}s.m4a"
        if not path.is_file():
            progression = PROGRESSION_A if i % 2 else PROGRESSION_B
            y = song(progression, melody_seed=i, seconds=seconds, transpose=i % 7, seed=i)
            encode(y, path)
        paths.append(path)
    return paths


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    command = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(folder)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def multipart(path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: audio/mp4\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), boundary


def upload(api: Api, conn: Any, path: Path) -> str:
    body, boundary = multipart(path)
    headers = {**api.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    conn.request("POST", "/api/songs/upload", body=body, headers=headers)
    reply = conn.getresponse()
    answer = json.loads(reply.read())
    assert reply.status == 202, answer
    return str(answer["job"]["id"])


def run(
    tracks: list[Path], workers: int, *, settings: Settings, db_uri: str, log: Path
) -> dict[str, Any]:
    api = Api(settings)
    env = child_env(settings)
    procs = []
    try:
        with log.open("ab") as out:
            for _ in range(workers):
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "backend.jobs.worker", "--workers", "1"],
                        env=env,
                        cwd=REPO,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        while api.get("/api/health")[1]["worker"] != "ok":
            time.sleep(0.5)
        database: Database[dict[str, Any]] = MongoClient(db_uri)[settings.mongodb_db]
        conn = api.connection()
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        upload_ms = []
        for path in tracks:
            t0 = time.perf_counter()
            upload(api, conn, path)
            upload_ms.append((time.perf_counter() - t0) * 1000)
        uploaded_s = time.perf_counter() - started
        while True:
            counts = {
                s: database["jobs"].count_documents({"status": s})
                for s in ("queued", "running", "done", "failed")
            }
            if counts["done"] + counts["failed"] == len(tracks):
                break
            time.sleep(0.2)
        wall = time.perf_counter() - started
        songs = database["songs"]
        analysed = songs.count_documents({"analysis_version": ANALYSIS_VERSION})
        distinct = len(songs.distinct("audio_key"))
        threshold = ScorerConfig.load(settings.scorer_path).threshold
        degrees = [len(doc["neighbours"]) for doc in database["edges"].find({})]
        confirmed = sum(
            1
            for doc in database["edges"].find({})
            for edge in doc["neighbours"].values()
            if edge["fused"] >= threshold
        )
        return {
            "workers": workers,
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "tracks": len(tracks),
            "done": counts["done"],
            "failed": counts["failed"],
            "songs": songs.count_documents({}),
            "distinct_audio": distinct,
            "with_current_analysis": analysed,
            "wall_s": round(wall, 1),
            "uploads_s": round(uploaded_s, 1),
            "upload": percentiles(upload_ms),
            "songs_per_min": round(60 * counts["done"] / wall, 1),
            "edges_per_song": round(float(np.mean(degrees)), 1) if degrees else 0.0,
            "confirmed_edges_per_song": round(confirmed / max(1, len(degrees)), 1),
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tracks", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--tracks-dir", type=Path, default=None, help="keep the renders here")
    args = parser.parse_args()
    stop_cleanly_on_sigterm()
    rows = []
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as name:
        tmp = Path(name)
        started = time.perf_counter()
        tracks = render_tracks(args.tracks_dir or tmp / "tracks", args.tracks, args.seconds)
        print(f"rendered {len(tracks)} tracks in {time.perf_counter() - started:.0f} s", flush=True)
        redis, redis_url = start_redis(tmp)
        db = EmbeddedMongo(tmp / "db").start()
        try:
            for workers in args.workers:
                data = tmp / f"run{workers}"
                data.mkdir()
                settings = Settings(
                    data_dir=data,
                    mongodb_uri=db.uri,
                    mongodb_db=f"bulk{workers}",
                    redis_url=redis_url,
                    queue_name=f"bulk{workers}",
                )
                settings = settings.with_(api_key=load_or_create_key(key_path(data)))
                row = run(tracks, workers, settings=settings, db_uri=db.uri, log=tmp / "w.log")
                row["track_seconds"] = args.seconds
                print(json.dumps(row), flush=True)
                rows.append(row)
        finally:
            db.stop()
            redis.terminate()
            redis.wait(10)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
