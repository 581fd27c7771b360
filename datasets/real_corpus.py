"""From analysed files to the calibration corpus: drop duplicates, assign groups, write it out.

Pure bookkeeping over the records of ``real_recordings.analyse`` and their fingerprints.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from datasets.duplicates import FP_FRAMES, UnionFind, condition, relate, title_stem
from datasets.manifest import refuse_covers80

OUTPUT_SUFFIX = ".opus"
OUTPUT_BITRATE = "48k"
PROFILE_PRETEST = 0.9
"""Only pairs whose mean band profiles (relative to the corpus average) correlate this well
get the full comparison; copies of one recording reach 0.99."""


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:100] or "track"


@dataclass(frozen=True)
class Track:
    """One line of ``tracks.jsonl``. ``path`` is relative to the corpus folder."""

    track_id: str
    package: str
    package_version: str
    licence: str
    title: str
    source_path: str
    path: str
    duration: float
    sha256: str
    """Of the audio file at ``path``."""
    pcm_sha256: str
    """Of the source's first 120 s (``duplicates.FP_SECONDS``) decoded to 16-bit mono PCM at
    22050 Hz: equal for bit-identical decodes."""
    source_bytes: int
    group: str | None = None
    """Tracks sharing a group may be versions of one another: never a negative pair."""


@dataclass(frozen=True)
class Duplicate:
    """A file dropped because ``kept`` is the same recording."""

    track_id: str
    source_path: str
    kept: str
    correlation: float


def related_pairs(
    fps: list[np.ndarray], durations: list[float]
) -> list[tuple[int, int, str, float]]:
    """(i, j, "same" | "related", correlation) for every related pair of fingerprints."""
    if len(fps) < 2:
        return []
    fps = [f[:FP_FRAMES] for f in fps]
    profiles = np.stack([condition(f).mean(axis=0) for f in fps])
    profiles -= profiles.mean(axis=0)  # what sets a track apart from the corpus's average
    profiles -= profiles.mean(axis=1, keepdims=True)
    profiles /= np.linalg.norm(profiles, axis=1, keepdims=True) + 1e-12
    close = np.triu(profiles @ profiles.T >= PROFILE_PRETEST, k=1)
    found = []
    for i, j in zip(*np.nonzero(close), strict=True):
        rel = relate(fps[int(i)], fps[int(j)], durations[int(i)], durations[int(j)])
        if rel.kind is not None:
            found.append((int(i), int(j), rel.kind, rel.correlation))
    return found


def quality(t: Track) -> tuple[float, str]:
    """Which copy of a recording to keep: the most bytes per second (the least lossy)."""
    return (t.source_bytes / max(t.duration, 1.0), t.track_id)


def assemble(
    tracks: list[Track], fps: list[np.ndarray], *, exact_only: bool = False
) -> tuple[list[Track], list[Duplicate]]:
    """Keep one copy of each recording and give related tracks a common ``group``.

    ``tracks[k]`` has fingerprint ``fps[k]``. Returns the kept tracks (sorted by id) and the
    dropped duplicates.
    """
    same, related = UnionFind(), UnionFind()
    corr: dict[str, float] = {}
    by_pcm: dict[str, str] = {}
    for t in tracks:
        same.find(t.track_id)
        if t.pcm_sha256 in by_pcm:
            same.union(t.track_id, by_pcm[t.pcm_sha256])
            corr[t.track_id] = 1.0
        by_pcm.setdefault(t.pcm_sha256, t.track_id)
    related_ids = []
    for i, j, kind, c in [] if exact_only else related_pairs(fps, [t.duration for t in tracks]):
        a, b = tracks[i].track_id, tracks[j].track_id
        if kind == "same":
            same.union(a, b)
            corr[a] = max(corr.get(a, 0.0), c)
            corr[b] = max(corr.get(b, 0.0), c)
        else:
            related_ids.append((a, b))
    index = {t.track_id: t for t in tracks}
    keeper: dict[str, str] = {}
    dropped = []
    for cluster in same.sets():
        best = max((index[k] for k in cluster), key=quality)
        for k in cluster:
            keeper[k] = best.track_id
            if k != best.track_id:
                dropped.append(
                    Duplicate(k, index[k].source_path, best.track_id, round(corr.get(k, 1.0), 3))
                )
    kept = [index[k] for k in sorted(set(keeper.values()))]
    for a, b in related_ids:
        related.union(keeper[a], keeper[b])
    stems: dict[tuple[str, str], str] = {}
    for t in kept:
        related.find(t.track_id)
        stem = title_stem(t.title)
        if stem is not None:
            related.union(t.track_id, stems.setdefault((t.package, stem), t.track_id))
    group_of: dict[str, str] = {}
    for members in related.sets():
        if len(members) > 1:
            group_of |= dict.fromkeys(members, f"group:{members[0]}")
    kept = [replace(t, group=group_of.get(t.track_id)) for t in kept]
    return kept, sorted(dropped, key=lambda d: d.track_id)


def write_jsonl(path: Path, rows: list[Any]) -> None:
    refuse_covers80(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(asdict(row), ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)


def read_tracks(path: Path) -> list[Track]:
    """Read ``tracks.jsonl``; paths stay relative to its folder."""
    refuse_covers80(path)
    with path.open(encoding="utf-8") as f:
        return [Track(**json.loads(line)) for line in f if line.strip()]


def negative_pairs(tracks: list[Track]) -> int:
    """Pairs of tracks that are different recordings and not in one group."""
    n = len(tracks)
    groups = Counter(t.group for t in tracks if t.group is not None)
    return n * (n - 1) // 2 - sum(k * (k - 1) // 2 for k in groups.values())


def summary(kept: list[Track], dropped: list[Duplicate], skipped: Counter[str]) -> dict[str, Any]:
    packages = Counter(t.package for t in kept)
    hours: dict[str, float] = {}
    for t in kept:
        hours[t.package] = hours.get(t.package, 0.0) + t.duration / 3600
    grouped = [t for t in kept if t.group is not None]
    return {
        "tracks": len(kept),
        "hours": round(sum(t.duration for t in kept) / 3600, 2),
        "packages": len(packages),
        "duplicates_dropped": len(dropped),
        "groups": len({t.group for t in grouped}),
        "tracks_in_groups": len(grouped),
        "negative_pairs": negative_pairs(kept),
        "skipped": dict(sorted(skipped.items())),
        "per_package": {
            p: {"tracks": packages[p], "hours": round(hours[p], 2)} for p in sorted(packages)
        },
    }
