"""Positives for fitting the verdict probability: one transformed version of N corpus tracks.

Tracks are drawn (seeded, independent of build order) among those with no ``group`` and at
most ``MAX_SOURCE_SECONDS`` long. Each gets a key change of 1-4 semitones up or down, a tempo
change of 5-15 % either way, colour (EQ, reverb, noise; ``augment.colour``) and, for some, an
MP3 pass; ``HARD_SHARE`` also lose or repeat a section. Written to ``DIR/positives/audio/``
with ``DIR/positives/positives.jsonl``; both paths in a line are relative to that folder.
Each positive also leaves a ``.json`` beside its audio, so an interrupted run resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from datasets.augment import codec, colour, retune
from datasets.builder import work_rng
from datasets.manifest import refuse_covers80
from datasets.real_corpus import OUTPUT_BITRATE, OUTPUT_SUFFIX, Track, read_tracks, safe_name
from model.audio import decode, encode
from model.constants import SAMPLE_RATE

log = logging.getLogger(__name__)

MAX_SOURCE_SECONDS = 180.0
HARD_SHARE = 0.25
CODEC_SHARE = 0.4
SECTION_SHARE = (0.1, 0.2)
"""A dropped or repeated section is this share of the track."""


@dataclass(frozen=True)
class Positive:
    """One line of ``positives.jsonl``: a track and a transformed version of it."""

    track_id: str
    original: str
    transformed: str
    semitones: int
    tempo: float
    structure: str | None
    transform: str
    duration: float


def eligible(tracks: list[Track], *, seed: int) -> list[Track]:
    """Ungrouped tracks up to ``MAX_SOURCE_SECONDS``, in a seeded order."""
    pool = [t for t in tracks if t.group is None and t.duration <= MAX_SOURCE_SECONDS]
    return sorted(
        pool, key=lambda t: hashlib.sha256(f"positive:{seed}:{t.track_id}".encode()).hexdigest()
    )


def change_structure(
    y: np.ndarray, rng: np.random.Generator, *, sr: int = SAMPLE_RATE
) -> tuple[np.ndarray, str]:
    """Drop or repeat one section of 10-20 % of the track, away from its start and end."""
    n = y.shape[0]
    length = int(n * rng.uniform(*SECTION_SHARE))
    start = int(rng.uniform(0.2 * n, max(0.2 * n + 1, 0.8 * n - length)))
    span = f"{start / sr:.0f}-{(start + length) / sr:.0f} s"
    if rng.random() < 0.5:
        return np.concatenate([y[:start], y[start + length :]]), f"dropped {span}"
    section = y[start : start + length]
    return np.concatenate([y[: start + length], section, y[start + length :]]), f"repeated {span}"


def make_positive(track: Track, *, corpus: Path, seed: int) -> Positive:
    """Transform one track and write it; deterministic in (seed, track id)."""
    rel = f"audio/{safe_name(track.track_id)}{OUTPUT_SUFFIX}"
    target = corpus / "positives" / rel
    sidecar = target.with_suffix(".json")
    if target.is_file() and sidecar.is_file():  # made by an earlier, interrupted run
        return Positive(**json.loads(sidecar.read_text()))
    rng = work_rng(seed, "positive", track.track_id)
    semitones = int(rng.choice([-4, -3, -2, -1, 1, 2, 3, 4]))
    tempo = float(rng.uniform(0.05, 0.15) * rng.choice([-1.0, 1.0]))
    done = [f"pitch {semitones:+d} st", f"tempo {tempo * 100:+.0f} %"]
    structure = None
    y = decode(corpus / track.path)
    if rng.random() < HARD_SHARE:
        y, structure = change_structure(y, rng)
        done.append(structure)
    y = retune(y, semitones=semitones, rate=1.0 + tempo)
    y, coloured = colour(y, rng)
    done += coloured
    if rng.random() < CODEC_SHARE:
        y = codec(y, rng)
        done.append("mp3")
    target.parent.mkdir(parents=True, exist_ok=True)
    encode(y, target, bitrate=OUTPUT_BITRATE)
    made = Positive(
        track_id=track.track_id,
        original=f"../{track.path}",
        transformed=rel,
        semitones=semitones,
        tempo=round(1.0 + tempo, 4),
        structure=structure,
        transform=", ".join(done),
        duration=round(y.shape[0] / SAMPLE_RATE, 2),
    )
    sidecar.write_text(json.dumps(asdict(made), sort_keys=True))
    return made


@dataclass(frozen=True)
class _Task:
    track: Track
    corpus: Path
    seed: int


def _make(task: _Task) -> Positive:
    return make_positive(task.track, corpus=task.corpus, seed=task.seed)


def _init_worker() -> None:
    with contextlib.suppress(OSError):
        os.nice(10)


def build_positives(corpus: Path, *, count: int, seed: int = 0, workers: int = 2) -> list[Positive]:
    """Write ``count`` positives for the corpus at ``corpus`` and their ``positives.jsonl``."""
    refuse_covers80(corpus)
    chosen = eligible(read_tracks(corpus / "tracks.jsonl"), seed=seed)[:count]
    tasks = [_Task(t, corpus, seed) for t in chosen]
    made: list[Positive] = []
    try:
        if workers <= 1:
            made += map(_make, tasks)
        else:
            with get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
                for done, positive in enumerate(pool.imap_unordered(_make, tasks), 1):
                    made.append(positive)
                    if done % 10 == 0:
                        log.info("%d/%d positives", done, len(tasks))
    except KeyboardInterrupt:
        # kill -INT: list what is finished; running the command again makes the rest.
        log.warning("interrupted: writing the %d positives finished so far", len(made))
    out = corpus / "positives" / "positives.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for p in sorted(made, key=lambda p: p.track_id):
            f.write(json.dumps(asdict(p), sort_keys=True) + "\n")
    return made
