"""Pair-check latency through the HTTP API for 4-minute songs (verdict + alignment explanation).

    nice -n 10 .venv/bin/python benchmarks/api_check.py --songs 4 --rounds 5

Synthesises ``--songs`` chord-loop songs of ``--seconds`` (two versions of each progression:
the second transposed and re-voiced), analyses and stores them as ingestion does (HPCP,
embedding and the fused scorer's analysis), then times ``GET /api/check`` (the fused score
with its explanation) over every pair, ``--rounds`` times. The first round computes each pair
in the API's check pool (and loads the stored analyses): it is reported as "cold". The API
caches each pair's result, so later rounds ("warm") measure the cached answer.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from api_common import Api, database, percentiles

from backend.ingest.analyse import analyse_song, store_analysis
from backend.settings import Settings
from backend.storage.documents import NewSong
from backend.storage.feature_store import LocalStore, array_bytes, content_key
from backend.storage.song_repository import SongRepository
from model.analysis import ANALYSIS_VERSION
from model.constants import SAMPLE_RATE
from model.embed import Embedder


def chord_song(seed: int, seconds: float, transpose: int, bright: bool) -> np.ndarray:
    """A loop of 8 random triads with additive tones (mono, SAMPLE_RATE)."""
    rng = np.random.default_rng(seed)
    chords = [
        tuple(int(r) + np.array([0, 3 + int(rng.integers(2)), 7])) for r in rng.integers(0, 12, 8)
    ]
    noise = np.random.default_rng(seed * 7 + transpose)
    span = int(2.0 * SAMPLE_RATE)
    t = np.arange(span) / SAMPLE_RATE
    env = np.minimum(1, t / 0.02) * np.exp(-0.7 * t)
    out = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    for i, start in enumerate(range(0, out.size - span, span)):
        tone = np.zeros(span)
        for semi in chords[i % len(chords)]:
            f0 = 220 * 2 ** ((semi + transpose) / 12)
            for h, amp in enumerate([1, 0.5, 0.35, 0.25] if bright else [1, 0.3], start=1):
                tone += amp * np.sin(2 * np.pi * f0 * h * t + noise.uniform(0, 6.3))
        out[start : start + span] = tone * env
    out += 0.003 * noise.standard_normal(out.size).astype(np.float32)
    song: np.ndarray = (0.25 * out / np.abs(out).max()).astype(np.float32)
    return song


def store_chord_songs(
    repo: SongRepository, settings: Settings, embedder: Embedder, count: int, seconds: float
) -> list[str]:
    """Add ``count`` chord-loop songs (pairs of versions) as ingestion does; their ids."""
    store = LocalStore(settings.feature_dir)
    ids = []
    for i in range(count):
        y = chord_song(i // 2, seconds, transpose=2 * (i % 2), bright=bool(i % 2))
        analysis, scored = analyse_song(y, embedder)
        data = array_bytes(analysis.chroma)
        key = content_key("hpcp", data, ".npy")
        store.put(key, data)
        song: NewSong = {
            "title": f"song {i}",
            "artist": "",
            "url": None,
            "audio_mime": "application/octet-stream",
            "duration": seconds,
            "model_version": embedder.version,
            "hpcp_key": key,
            "audio_key": key,
            "source": "upload",
            "analysis_key": store_analysis(scored, store=store),
            "analysis_version": ANALYSIS_VERSION,
        }
        ids.append(str(repo.insert(song, analysis.embedding)["_id"]))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--songs", type=int, default=4, help="even: pairs of versions")
    parser.add_argument("--seconds", type=float, default=240.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    embedder = Embedder.load()
    with tempfile.TemporaryDirectory(prefix="coverscope-bench-") as tmp:
        db, settings, repo = database(Path(tmp))
        ids = store_chord_songs(repo, settings, embedder, args.songs, args.seconds)
        api = Api(settings, processes=1)
        try:
            pairs = list(itertools.combinations(ids, 2))
            conn = api.connection()
            cold: list[float] = []
            warm: list[float] = []
            image: list[float] = []
            for round_ in range(args.rounds):
                for a, b in pairs:
                    t0 = time.perf_counter()
                    status, body = api.get(f"/api/check?a={a}&b={b}", conn)
                    (cold if round_ == 0 else warm).append((time.perf_counter() - t0) * 1000)
                    assert status == 200, body
                    if round_ == 1:
                        t0 = time.perf_counter()
                        status, _ = api.get(body["similarity_image"], conn)
                        image.append((time.perf_counter() - t0) * 1000)
            out = {
                "seconds": args.seconds,
                "pairs": len(pairs),
                "cold": percentiles(cold),
                "warm": percentiles(warm),
                "similarity_png": percentiles(image),
            }
            print(json.dumps(out), flush=True)
            if args.json:
                args.json.write_text(json.dumps(out, indent=2))
        finally:
            api.stop()
            db.stop()


if __name__ == "__main__":
    main()
