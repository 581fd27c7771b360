"""The ``debian-music`` builder: real recordings from Debian's game-music packages.

Each track is a work. Its versions are overlapping windows of the track, one left as it is
and the others changed in key, tempo, colour and codec (``augment.cover_like``), the
self-supervised recipe: positives are transformed copies, negatives are other tracks.
Planet Blupi ships the same tunes as MIDI and as recordings; the MIDI, rendered with
FluidSynth, becomes one more version of the recorded work.
"""

from __future__ import annotations

import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from datasets.augment import colour, cover_like, crop
from datasets.builder import (
    Builder,
    Job,
    feature_relpath,
    order_key,
    save_features,
    split_of,
    work_rng,
)
from datasets.manifest import ManifestEntry, refuse_covers80
from datasets.render import Note, Track, renderer
from model.audio import decode
from model.constants import SAMPLE_RATE
from model.errors import UndecodableAudio

PACKAGES: dict[str, str] = {
    "singularity-music": "CC BY-SA 3.0 (Debian package singularity-music)",
    "warzone2100-music": "CC BY-SA 3.0 / GPL-2+ (Debian package warzone2100-music)",
    "wesnoth-1.16-music": "GPL-2+ (Debian package wesnoth-1.16-music)",
    "ufoai-music": "CC BY-SA 3.0 (Debian package ufoai-music)",
    "planetblupi-music-ogg": "GPL-3+ (Debian package planetblupi-music-ogg)",
    "asc-music": "GPL-2+ (Debian package asc-music)",
    "hyperrogue-music": "CC BY-SA 3.0 / GPL (Debian package hyperrogue-music)",
    "nexuiz-music": "GPL-2+ (Debian package nexuiz-music)",
    "drascula-music": "freeware, redistributable (Debian package drascula-music)",
}
"""Packages whose recordings are used, with their licence as Debian's copyright file says.

Check /usr/share/doc/<package>/copyright before publishing anything derived from them.
"""
MIDI_PACKAGE = "planetblupi-music-midi"
AUDIO_SUFFIXES = (".ogg", ".opus", ".mp3", ".flac", ".wav")
ARCHIVE_SUFFIXES = (".pk3",)
MIN_TRACK_SECONDS = 25.0
MAX_DECODE_SECONDS = 180.0
VERSIONS = 4
WINDOW_SECONDS = (30.0, 60.0)
MAX_START = 40.0
"""Windows start in the first 40 s, so versions share most of their music."""


@dataclass(frozen=True)
class Recording:
    work_id: str
    package: str
    path: str
    member: str | None = None
    """A file inside a zip archive (``.pk3``) at ``path``."""
    midi: str | None = None
    """The same tune as a MIDI file, if the package set ships one."""


def package_files(package: str) -> list[Path]:
    """Files installed by a Debian package (empty if it is not installed)."""
    proc = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return []
    return [Path(line) for line in proc.stdout.splitlines() if Path(line).is_file()]


def list_works(seed: int) -> list[Recording]:
    """Every recording of the installed packages, shuffled by ``seed``."""
    midis = {p.stem: str(p) for p in package_files(MIDI_PACKAGE) if p.suffix == ".mid"}
    works = []
    for package in PACKAGES:
        for path in package_files(package):
            refuse_covers80(path)
            if path.suffix.lower() in AUDIO_SUFFIXES:
                midi = midis.get(path.stem) if package.startswith("planetblupi") else None
                works.append(
                    Recording(f"debian:{package}:{path.stem}", package, str(path), None, midi)
                )
            elif path.suffix.lower() in ARCHIVE_SUFFIXES:
                with zipfile.ZipFile(path) as z:
                    for member in sorted(z.namelist()):
                        if member.lower().endswith(AUDIO_SUFFIXES):
                            stem = Path(member).stem
                            works.append(
                                Recording(f"debian:{package}:{stem}", package, str(path), member)
                            )
    # The same track may be installed several times (Drascula: once per language).
    unique = {r.work_id: r for r in sorted(works, key=lambda r: (r.work_id, r.path), reverse=True)}
    return sorted(unique.values(), key=lambda r: order_key(seed, r.work_id))


def load(rec: Recording) -> np.ndarray:
    """Decode a recording (extracting it from its archive first if need be)."""
    if rec.member is None:
        return decode(rec.path, max_seconds=MAX_DECODE_SECONDS)
    with zipfile.ZipFile(rec.path) as z, tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / Path(rec.member).name
        target.write_bytes(z.read(rec.member))
        return decode(target, max_seconds=MAX_DECODE_SECONDS)


def midi_tracks(path: str, *, transpose: int = 0, max_seconds: float = 60.0) -> list[Track]:
    """The first ``max_seconds`` of a MIDI file as note tracks (programs, drums as written)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(path)
    return [
        Track(
            program=inst.program,
            drums=inst.is_drum,
            notes=[
                Note(
                    n.pitch + (0 if inst.is_drum else transpose),
                    n.start,
                    min(n.end, max_seconds),
                    n.velocity,
                )
                for n in inst.notes
                if n.start < max_seconds
            ],
        )
        for inst in pm.instruments
    ]


def build_work(job: Job) -> list[ManifestEntry]:
    rec: Recording = job.work
    rng = work_rng(job.seed, rec.work_id)
    split = split_of(rec.work_id, job.seed)
    licence = PACKAGES[rec.package]
    rels = [feature_relpath(rec.work_id, v) for v in range(VERSIONS + (rec.midi is not None))]
    plans: list[tuple[str, str, np.ndarray | None]] = []
    if all((job.out / r).is_file() for r in rels):
        plans = [(r, "reused", None) for r in rels]
    else:
        y = load(rec)
        total = y.shape[0] / SAMPLE_RATE
        if total < MIN_TRACK_SECONDS:
            raise UndecodableAudio(f"{rec.work_id}: {total:.0f} s is too short")
        for v in range(VERSIONS):
            vrng = work_rng(job.seed, rec.work_id, v)
            seconds = min(total, float(vrng.uniform(*WINDOW_SECONDS)))
            start = float(vrng.uniform(0, min(max(0.0, total - seconds), MAX_START)))
            window = crop(y, start, seconds)
            label = f"window {start:.0f}-{start + seconds:.0f} s"
            if v == 0:
                out, done = colour(window, vrng) if vrng.random() < 0.5 else (window, [])
                plans.append((rels[v], ", ".join([label, *done]), out))
            else:
                out, what = cover_like(window, vrng)
                plans.append((rels[v], f"{label}, {what}", out))
        if rec.midi is not None:
            r = renderer()
            shift = int(rng.integers(-3, 4))
            tracks = midi_tracks(rec.midi, transpose=shift, max_seconds=WINDOW_SECONDS[1])
            rendered = r.render(tracks, soundfont=int(rng.integers(2)))
            plans.append((rels[-1], f"MIDI of the same tune, FluidSynth, {shift:+d} st", rendered))
    entries = []
    for v, (rel, transform, audio) in enumerate(plans):
        duration = save_features(job.out, rel, audio)
        entries.append(
            ManifestEntry(
                work_id=rec.work_id,
                version_id=f"{rec.work_id}#v{v}",
                source=f"debian-{rec.package}",
                feature_path=rel,
                duration=round(duration, 2),
                split=split,  # type: ignore[arg-type]
                licence=licence,
                transform=transform,
            )
        )
    return entries


BUILDER = Builder(
    name="debian-music",
    description=(
        "Real recordings from Debian game-music packages; each track is a work with one "
        "plain window and three pitch-shifted / time-stretched / coloured / MP3-coded windows "
        "(Planet Blupi also gets its MIDI rendered with FluidSynth)."
    ),
    list_works=list_works,
    build_work=build_work,
    work_id=lambda w: w.work_id,
)
