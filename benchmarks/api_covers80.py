"""Covers80 through the API end to end: the tracks of the first ``--works`` works (Covers80's
file order, as ``coverscope evaluate covers80 --limit-works``) uploaded through
``POST /api/songs/upload`` one after another (each waits for its job: analysis and graph
update), then each ranked by ``GET /api/rank?song=`` against the others; MAP, MRR and MR1 of
those rankings.

    COVERS80_DIR=../shared/datasets/covers80 nice -n 10 .venv/bin/python benchmarks/api_covers80.py --works 20

Covers80 is a test set: nothing is tuned here. The API runs as ``coverscope serve`` runs it
(gunicorn and one worker process over the embedded database).
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from api_common import REPO, Api, database

from backend.serve import child_env, worker_command
from training.evaluation.covers80 import covers80_root, load_tracks
from training.metrics import retrieval_scores


def upload(api: Api, path: Path, title: str) -> dict[str, Any]:
    """POST the file as multipart form data; returns the answer's JSON."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=120)
    try:
        headers = {**api.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        conn.request("POST", "/api/songs/upload", body=body, headers=headers)
        reply = conn.getresponse()
        out: dict[str, Any] = json.loads(reply.read())
        assert reply.status in (200, 202), out
        return out
    finally:
        conn.close()


def wait_job(api: Api, job_id: str, timeout: float = 1800.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = api.get(f"/api/jobs/{job_id}")
        if status == 200 and job["status"] in ("done", "failed"):
            return dict(job)
        time.sleep(1.0)
    raise TimeoutError(f"job {job_id} did not finish")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--works", type=int, default=20)
    parser.add_argument("--data", type=Path, default=None, help="Covers80 folder")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    tracks = load_tracks(covers80_root(args.data), limit_works=args.works)
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, _ = database(Path(tmp))
        api = Api(settings)
        log = (Path(tmp) / "worker.log").open("wb")
        worker = subprocess.Popen(
            worker_command(1), env=child_env(settings), cwd=REPO, stdout=log, stderr=log
        )
        try:
            started = time.perf_counter()
            ids: list[str] = []
            ingest_s = []
            for track in tracks:
                t0 = time.perf_counter()
                added = upload(api, track.path, track.track_id)
                job = wait_job(api, added["job"]["id"])
                assert job["status"] == "done", job
                ids.append(str(job["song_id"]))
                ingest_s.append(time.perf_counter() - t0)
                print(f"added {track.track_id} in {ingest_s[-1]:.1f} s", file=sys.stderr)
            api.wait_indexed(len(ids))
            position = {song: i for i, song in enumerate(ids)}
            n = len(ids)
            ranks = np.full((n, n), np.inf)
            graph_hits = 0
            labels = np.array([t.work_id for t in tracks])
            for q, song in enumerate(ids):
                status, body = api.get(f"/api/rank?song={song}&limit={n - 1}")
                assert status == 200, body
                for r, entry in enumerate(body["results"]):
                    ranks[q, position[entry["song"]["id"]]] = r
                    graph_hits += (
                        entry["source"] == "graph"
                        and labels[position[entry["song"]["id"]]] == labels[q]
                    )
            scores = retrieval_scores(ranks, labels)
            relevant = int(sum(int(np.sum(labels == w)) - 1 for w in labels))
            out = {
                "tracks": n,
                "works": len(set(labels)),
                **{k: round(v, 4) for k, v in scores.to_dict().items()},
                "versions_in_graph": round(graph_hits / relevant, 4),
                "ingest_s_median": round(float(np.median(ingest_s)), 1),
                "total_s": round(time.perf_counter() - started, 1),
                "track_ids": [t.track_id for t in tracks],
            }
            print(json.dumps(out), flush=True)
            if args.json:
                args.json.write_text(json.dumps(out, indent=2))
        finally:
            worker.send_signal(2)
            worker.wait(60)
            log.close()
            api.stop()
            db.stop()


if __name__ == "__main__":
    main()
