"""The Covers80 test set on disk: tracks, their works, and query transformations."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Track:
    work_id: str
    track_id: str
    path: Path


@dataclass(frozen=True)
class Variant:
    """How queries are transformed before analysis (references stay untouched)."""

    pitch_shift: int = 0
    time_stretch: float = 1.0

    @property
    def is_identity(self) -> bool:
        return self.pitch_shift == 0 and self.time_stretch == 1.0

    @property
    def tag(self) -> str:
        return "orig" if self.is_identity else f"p{self.pitch_shift:+d}_t{self.time_stretch:.2f}"


def covers80_root(flag: Path | None) -> Path:
    """The Covers80 folder: ``--data``, else ``$COVERS80_DIR``, else ``../shared/datasets/covers80``."""
    if flag:
        return flag
    if os.environ.get("COVERS80_DIR"):
        return Path(os.environ["COVERS80_DIR"])
    return REPO.parent / "shared" / "datasets" / "covers80"


def load_tracks(root: Path, *, limit_works: int | None = None) -> list[Track]:
    """Tracks listed in ``root/covers80.csv`` (work_id, track_id, file); with ``limit_works``
    only those of the first N works in file order."""
    with (root / "covers80.csv").open(newline="") as f:
        tracks = [Track(r["work_id"], r["track_id"], root / r["file"]) for r in csv.DictReader(f)]
    if limit_works is not None:
        works = list(dict.fromkeys(t.work_id for t in tracks))[:limit_works]
        tracks = [t for t in tracks if t.work_id in set(works)]
    return tracks
