"""``coverscope bench``: per-song compute time of the pipeline stages (medians).

Synthesises a song of ``--seconds`` (a chord progression with a melody), writes it as MP3,
then times decode, HPCP, embedding, the scorer's song analysis and, for two songs of
``--pair-seconds``, one pair's Qmax (both directions), early fusion and fused score, ``--repeats``
times each. Each figure is a median of wall time and of this process's CPU time (the latter is
what a figure costs on a busy machine). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.align import align
from model.audio import decode, encode
from model.constants import SAMPLE_RATE
from model.embed import Embedder
from model.hpcp import cnn_features, hpcp, transpose


def synthetic_song(seconds: float, *, sr: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """A I-V-vi-IV progression of 2-s chords with a random melody, float32 mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(2.0 * sr)) / sr
    roots = [0, 7, 9, 5]
    out = []
    for k in range(int(np.ceil(seconds / 2.0))):
        root = roots[k % 4]
        notes = [root, root + 4 if root != 9 else root + 3, root + 7]
        tone = sum(np.sin(2 * np.pi * 261.63 * 2 ** (n / 12) * t) for n in notes)
        melody = 523.25 * 2 ** (rng.choice([0, 2, 4, 5, 7, 9]) / 12)
        tone = tone + 0.7 * np.sin(2 * np.pi * melody * t)
        out.append(tone * np.exp(-t))
    y = np.concatenate(out)[: int(seconds * sr)]
    scaled: np.ndarray = 0.2 * y / float(np.abs(y).max())
    return scaled.astype(np.float32)


def _median_time(fn: Callable[[], Any], repeats: int) -> float:
    return _median_times(fn, repeats)[0]


def _median_times(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds of this process) of ``fn`` after a warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def scorer_figures(
    embedder: Embedder, *, seconds: float, pair_seconds: float, repeats: int
) -> dict[str, float]:
    """Analysis time and size of one song of ``seconds``, and per-pair costs of the scorer for
    two songs of ``pair_seconds`` (same progression, other melodies)."""
    from model.analysis import analyse
    from model.early import early_fusion
    from model.qmax import qmax
    from model.score import ScorerConfig, score_pair

    y = synthetic_song(seconds)
    figures: dict[str, float] = {}
    figures["analyse_s"], figures["analyse_cpu_s"] = _median_times(
        lambda: analyse(y, embedder=embedder), repeats
    )
    figures["analysis_bytes"] = float(len(analyse(y, embedder=embedder).to_bytes()))
    a = analyse(synthetic_song(pair_seconds, seed=1), embedder=embedder)
    b = analyse(synthetic_song(pair_seconds, seed=2), embedder=embedder)
    ca, cb = a.chroma.astype(np.float32), b.chroma.astype(np.float32)
    config = ScorerConfig.load()
    for name, fn in {
        "qmax_pair": lambda: qmax(ca, cb),
        "early_pair": lambda: early_fusion(a.levels, b.levels),
        "score_pair": lambda: score_pair(a, b, config=config),
        "check_pair_explained": lambda: score_pair(a, b, config=config, explain=True),
    }.items():
        figures[f"{name}_s"], figures[f"{name}_cpu_s"] = _median_times(fn, repeats)
    return figures


def main(args: argparse.Namespace) -> int:
    torch.set_num_threads(2)
    embedder = Embedder.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        path = encode(synthetic_song(args.seconds), Path(tmp) / "song.mp3")
        y = decode(path)
        chroma = hpcp(y)
        features = cnn_features(chroma)
        figures = {
            "decode_s": _median_time(lambda: decode(path), args.repeats),
            "hpcp_s": _median_time(lambda: hpcp(y), args.repeats),
            "embed_s": _median_time(lambda: embedder.embed(cnn_features(chroma)), args.repeats),
            "segments_s": _median_time(lambda: embedder.embed_segments(features), args.repeats),
            # Alignment of this song against a transposed copy: the per-pair cost of
            # Qmax re-ranking and of the pair check's explanation.
            "align_pair_s": _median_time(lambda: align(chroma, transpose(chroma, 3)), args.repeats),
        }
    figures["total_s"] = figures["decode_s"] + figures["hpcp_s"] + figures["embed_s"]
    if args.scorer:
        figures.update(
            scorer_figures(
                embedder, seconds=args.seconds, pair_seconds=args.pair_seconds, repeats=args.repeats
            )
        )
    print(
        json.dumps(
            {
                "seconds_of_audio": args.seconds,
                "repeats": args.repeats,
                "model_version": embedder.version,
                "threads": torch.get_num_threads(),
                **{k: round(v, 4) for k, v in figures.items()},
            },
            indent=2,
        )
    )
    return 0
