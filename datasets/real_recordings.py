"""``coverscope dataset debian-full --out DIR``: every real track Debian ships, with its audio.

The corpus for calibrating verdicts on pairs of *different* real recordings. Each package of
``debian_packages.MUSIC_PACKAGES`` is downloaded and unpacked into a cache (nothing is
installed); every audio file of 30 s to 15 min is decoded, fingerprinted and transcoded to
mono Opus in ``DIR/audio/``. The same recording shipped twice (another package, another
format, a louder copy) is kept once; excerpts of one another and tracks whose titles differ
only by words like ``short`` or a number share a ``group``, and a calibration must not count
a same-group pair as a negative. Writes ``tracks.jsonl``, ``duplicates.jsonl``,
``skipped.jsonl``, ``stats.json``, ``README.md`` and each package's copyright file under
``licences/``. Rebuilds reuse the cached analysis of every file.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from datasets import debian_packages
from datasets.debian_packages import TRACKER_SUFFIXES, PackageUnavailable
from datasets.duplicates import FP_SECONDS, fingerprint
from datasets.manifest import refuse_covers80
from datasets.real_corpus import (
    OUTPUT_BITRATE,
    OUTPUT_SUFFIX,
    Duplicate,
    Track,
    assemble,
    safe_name,
    summary,
    write_jsonl,
)
from datasets.real_positives import build_positives
from model.audio import decode, ffmpeg_exe
from model.constants import SAMPLE_RATE
from model.errors import UndecodableAudio

log = logging.getLogger(__name__)

MIN_SECONDS = 30.0
MAX_SECONDS = 900.0
MIN_BYTES = 100_000
"""Compressed files smaller than this cannot hold 30 s of music (sound effects are skipped
unopened); tracker modules are exempt, WAV needs ``MIN_WAV_BYTES``."""
MIN_WAV_BYTES = 500_000
COPY_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3")
MAX_COPY_BYTES_PER_S = 24_000
"""Lossy files up to ~192 kbit/s are copied as they are; others are transcoded to Opus."""


@dataclass(frozen=True)
class Candidate:
    """An audio file of an unpacked package, and the id its track will get."""

    track_id: str
    package: str
    source: str
    """Absolute path in the cache."""
    source_path: str
    """Path inside the package (as installed, or ``.unzipped/<archive>/<member>``)."""


def candidates(package: str, root: Path) -> list[Candidate]:
    """Audio files of an unpacked package big enough to hold 30 s, with unique track ids."""
    files = []
    for path in debian_packages.audio_files(root):
        suffix = path.suffix.lower()
        size = path.stat().st_size
        if suffix in TRACKER_SUFFIXES or size >= (MIN_WAV_BYTES if suffix == ".wav" else MIN_BYTES):
            refuse_covers80(path)
            files.append(path)
    stems = Counter(p.stem for p in files)
    out = []
    for path in files:
        rel = str(path.relative_to(root))
        track_id = f"{package}:{path.stem}"
        if stems[path.stem] > 1:
            track_id += "~" + hashlib.sha1(rel.encode()).hexdigest()[:6]
        out.append(Candidate(track_id, package, str(path), rel))
    return out


def probe_seconds(path: str) -> float | None:
    """The duration ffmpeg reads from a file's header (no decoding), None if it names none."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", path], capture_output=True, check=False
    )
    # Tags in the header may be in any encoding.
    text = proc.stderr.decode("utf-8", errors="replace")
    m = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", text)
    if m is None:
        return None
    h, mi, s = m.groups()
    return int(h) * 3600 + int(mi) * 60 + float(s)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pcm_sha256(y: np.ndarray) -> str:
    """Hash of a decoded signal quantised to 16 bits (equal for bit-identical decodes)."""
    pcm = np.clip(np.round(y * 32767.0), -32768, 32767).astype("<i2")
    return hashlib.sha256(pcm.tobytes()).hexdigest()


@dataclass(frozen=True)
class Task:
    candidate: Candidate
    out: Path
    cache: Path


def analysis_key(c: Candidate) -> str:
    size = Path(c.source).stat().st_size
    return hashlib.sha1(f"{c.package}/{c.source_path}:{size}".encode()).hexdigest()


def analyse(task: Task) -> dict[str, object]:
    """Probe, decode, fingerprint and transcode one candidate; cached by file identity.

    Returns the analysis record: ``status`` "ok" (with the track's fields) or "skipped"
    (with a ``reason``). The fingerprint goes to ``CACHE/fp/<key>.npy``.
    """
    c, out = task.candidate, task.out
    key = analysis_key(c)
    record_path = task.cache / "analysis" / f"{key}.json"
    rel = f"audio/{safe_name(c.package)}/{safe_name(c.track_id.split(':', 1)[1])}{OUTPUT_SUFFIX}"
    if record_path.is_file():
        record: dict[str, object] = json.loads(record_path.read_text())
        if record["status"] == "skipped" or (out / str(record.get("path", ""))).is_file():
            return record
    record = {"track_id": c.track_id, "key": key}
    try:
        record |= _analyse(c, out=out, rel=rel, fp_path=task.cache / "fp" / f"{key}.npy")
    except (UndecodableAudio, OSError, ValueError) as exc:
        record |= {"status": "skipped", "reason": f"undecodable: {type(exc).__name__}: {exc}"}
    record_path.parent.mkdir(parents=True, exist_ok=True)
    record_path.write_text(json.dumps(record, sort_keys=True))
    return record


def _analyse(c: Candidate, *, out: Path, rel: str, fp_path: Path) -> dict[str, object]:
    header = probe_seconds(c.source)
    if header is not None and header < MIN_SECONDS - 1:
        return {"status": "skipped", "reason": f"too short ({header:.1f} s)"}
    if header is not None and header > MAX_SECONDS + 1:
        return {"status": "skipped", "reason": f"too long ({header:.0f} s)"}
    # The fingerprint needs only the opening; the header's duration is exact for Ogg/MP3.
    # Trusted: a package's own files, tracker modules included (uploads get the allow-list).
    seconds_cap = FP_SECONDS if header is not None else MAX_SECONDS + 1
    y = decode(c.source, max_seconds=seconds_cap, trusted=True)
    seconds = header if header is not None else y.shape[0] / SAMPLE_RATE
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        return {"status": "skipped", "reason": f"decoded length {seconds:.1f} s out of range"}
    if float(np.sqrt(np.mean(y**2))) < 1e-3:
        return {"status": "skipped", "reason": "silent"}
    fp_path.parent.mkdir(parents=True, exist_ok=True)
    np.save(fp_path, fingerprint(y), allow_pickle=False)
    size = Path(c.source).stat().st_size
    if Path(c.source).suffix.lower() in COPY_SUFFIXES and size / seconds <= MAX_COPY_BYTES_PER_S:
        rel = str(Path(rel).with_suffix(Path(c.source).suffix.lower()))
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(c.source, target)
    else:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        transcode(c.source, target)
    return {
        "status": "ok",
        "path": rel,
        "duration": round(seconds, 2),
        "sha256": file_sha256(target),
        "pcm_sha256": pcm_sha256(y),
        "source_bytes": Path(c.source).stat().st_size,
    }


def transcode(source: str, target: Path) -> None:
    """``source`` as mono Opus at ``OUTPUT_BITRATE`` (a fast encoder setting: it is a copy)."""
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", source]
    cmd += ["-map", "0:a:0", "-vn", "-ac", "1", "-t", f"{MAX_SECONDS + 1:.0f}"]
    cmd += ["-c:a", "libopus", "-b:a", OUTPUT_BITRATE, "-compression_level", "2", str(target)]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise UndecodableAudio(f"{Path(source).name}: transcoding failed ({detail})")


def _init_worker() -> None:
    with contextlib.suppress(OSError):
        os.nice(10)


def analyse_all(tasks: list[Task], *, workers: int) -> Iterator[dict[str, object]]:
    if workers <= 1:
        yield from map(analyse, tasks)
        return
    with get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
        yield from pool.imap_unordered(analyse, tasks, chunksize=4)


def build_corpus(
    out: Path,
    *,
    cache: Path,
    packages: tuple[str, ...] = debian_packages.MUSIC_PACKAGES,
    workers: int = 2,
) -> tuple[list[Track], list[Duplicate]]:
    """Fetch, analyse, de-duplicate and write the corpus into ``out``; returns kept, dropped."""
    refuse_covers80(out)
    refuse_covers80(cache)
    out.mkdir(parents=True, exist_ok=True)
    (out / "licences").mkdir(exist_ok=True)
    tasks: list[Task] = []
    about: dict[str, tuple[str, str]] = {}
    failed: list[str] = []
    first_copy: dict[str, str] = {}
    copies: list[tuple[Candidate, str]] = []
    for package in packages:
        try:
            root = debian_packages.fetch(package, cache=cache)
        except PackageUnavailable as exc:
            failed.append(f"{package}: {exc}")
            log.warning("%s", exc)
            continue
        text = debian_packages.copyright_text(package, cache=cache)
        (out / "licences" / f"{package}.txt").write_text(text or "no copyright file found\n")
        version = debian_packages.version(package, cache=cache)
        about[package] = (version, debian_packages.licence_summary(text))
        found = candidates(package, root)
        for c in found:
            digest = file_sha256(Path(c.source))
            if digest in first_copy:
                copies.append((c, first_copy[digest]))
            else:
                first_copy[digest] = c.track_id
                tasks.append(Task(c, out, cache))
        log.info("%s %s: %d candidate files", package, version, len(found))
    by_id = {t.candidate.track_id: t.candidate for t in tasks}
    log.info(
        "analysing %d files (%d byte-identical copies skipped) with %d workers",
        len(tasks),
        len(copies),
        workers,
    )
    tracks: list[Track] = []
    fps: list[np.ndarray] = []
    skipped: list[dict[str, object]] = []
    for done, record in enumerate(analyse_all(tasks, workers=workers), 1):
        c = by_id[str(record["track_id"])]
        if record["status"] != "ok":
            skipped.append({"track_id": c.track_id, "source_path": c.source_path, **record})
        else:
            version, licence = about[c.package]
            tracks.append(
                Track(
                    track_id=c.track_id,
                    package=c.package,
                    package_version=version,
                    licence=licence,
                    title=Path(c.source_path).stem,
                    source_path=c.source_path,
                    path=str(record["path"]),
                    duration=float(record["duration"]),  # type: ignore[arg-type]
                    sha256=str(record["sha256"]),
                    pcm_sha256=str(record["pcm_sha256"]),
                    source_bytes=int(record["source_bytes"]),  # type: ignore[call-overload]
                )
            )
            fps.append(np.load(cache / "fp" / f"{record['key']}.npy", allow_pickle=False))
        if done % 100 == 0 or done == len(tasks):
            log.info("%d/%d files, %d tracks", done, len(tasks), len(tracks))
    order = sorted(range(len(tracks)), key=lambda k: tracks[k].track_id)
    kept, dropped = assemble([tracks[k] for k in order], [fps[k] for k in order])
    paths = {t.track_id: t.path for t in tracks}
    for d in dropped:
        (out / paths[d.track_id]).unlink(missing_ok=True)
    # Byte-identical files were analysed once; each copy follows its first file's fate.
    final = {d.track_id: d.kept for d in dropped}
    analysed = set(paths)
    dropped += [
        Duplicate(c.track_id, c.source_path, final.get(first, first), 1.0)
        for c, first in copies
        if first in analysed
    ]
    dropped.sort(key=lambda d: d.track_id)
    write_jsonl(out / "tracks.jsonl", kept)
    write_jsonl(out / "duplicates.jsonl", dropped)
    with (out / "skipped.jsonl").open("w", encoding="utf-8") as f:
        for row in sorted(skipped, key=lambda r: str(r["track_id"])):
            f.write(json.dumps(row, sort_keys=True) + "\n")
    reasons = Counter(str(r["reason"]).split(" (")[0].split(":")[0] for r in skipped)
    stats = summary(kept, dropped, reasons)
    stats["packages_failed"] = failed
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    (out / "README.md").write_text(readme(stats, about))
    return kept, dropped


def readme(stats: dict[str, object], about: dict[str, tuple[str, str]]) -> str:
    per = stats["per_package"]
    assert isinstance(per, dict)
    lines = [
        "# Real recordings for calibration (`coverscope dataset debian-full`)",
        "",
        f"{stats['tracks']} distinct tracks, {stats['hours']} h, from {stats['packages']} "
        f"Debian packages; {stats['duplicates_dropped']} duplicate files dropped; "
        f"{stats['groups']} groups ({stats['tracks_in_groups']} tracks) of possible versions "
        f"of one another; {stats['negative_pairs']} negative pairs (different tracks, not in "
        "one group).",
        "",
        "Audio: mono Opus, 22050 Hz source resampled by the encoder. Never tune on Covers80.",
        "",
        "| package | version | tracks | hours | licence (from its copyright file) |",
        "|---|---|---|---|---|",
        *(
            f"| {p} | {about[p][0]} | {v['tracks']} | {v['hours']} | {about[p][1]} |"
            for p, v in per.items()
        ),
        "",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """CLI entry: ``coverscope dataset debian-full --out DIR [--positives N]``."""
    out = Path(args.out)
    cache = Path(args.cache) if args.cache else out.parent / f"{out.name}-cache"
    if not (args.positives and (out / "tracks.jsonl").is_file()):
        kept, dropped = build_corpus(out, cache=cache, workers=args.workers)
        log.info("debian-full: %d tracks kept, %d duplicates dropped", len(kept), len(dropped))
    if args.positives:
        made = build_positives(out, count=args.positives, seed=args.seed, workers=args.workers)
        log.info("debian-full: %d positives in %s", len(made), out / "positives")
    return 0
