"""The training-set manifest: one JSON object per version, one line each (``manifest.jsonl``).

Every path that enters or leaves a manifest passes ``refuse_covers80``: Covers80 is the test
set and must never reach training, model selection or threshold calibration.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

from model.errors import InvalidInput

Split = Literal["train", "val"]

COVERS80_MARK = "covers80"
"""Any path containing this (any case) is refused; name test folders accordingly."""


class Covers80Refused(InvalidInput):
    """A path of the Covers80 test set was about to enter a training manifest."""

    code = "covers80_refused"


@dataclass(frozen=True)
class ManifestEntry:
    """One version of one work. Paths are relative to the manifest's folder."""

    work_id: str
    version_id: str
    source: str
    feature_path: str
    duration: float
    split: Split
    licence: str
    transform: str
    audio_path: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> ManifestEntry:
        known = {f.name for f in fields(cls)}
        missing = known - raw.keys() - {"audio_path"}
        if missing:
            raise InvalidInput(f"manifest entry lacks {sorted(missing)}")
        return cls(**{k: v for k, v in raw.items() if k in known})  # type: ignore[arg-type]


def refuse_covers80(path: str | Path, *, root: Path | None = None) -> None:
    """Raise ``Covers80Refused`` if ``path`` (resolved against ``root``) lies in Covers80.

    A path is refused when any part of it, before or after resolving symlinks, contains
    "covers80" (any case), or when it lies under ``$COVERS80_DIR``.
    """
    p = Path(path)
    if root is not None and not p.is_absolute():
        p = root / p
    candidates = {p.absolute(), p.resolve()}
    guarded = os.environ.get("COVERS80_DIR")
    guard = Path(guarded).resolve() if guarded else None
    for c in candidates:
        if COVERS80_MARK in str(c).lower():
            raise Covers80Refused(f"{path} lies in the Covers80 test set")
        if guard is not None and c.is_relative_to(guard):
            raise Covers80Refused(f"{path} lies under $COVERS80_DIR ({guard})")


def check_entry(entry: ManifestEntry, *, root: Path) -> None:
    """Refuse an entry whose feature or audio path, or source, points into Covers80."""
    if COVERS80_MARK in entry.source.lower() or COVERS80_MARK in entry.work_id.lower():
        raise Covers80Refused(f"work {entry.work_id} comes from Covers80")
    refuse_covers80(entry.feature_path, root=root)
    if entry.audio_path:
        refuse_covers80(entry.audio_path, root=root)


def write_manifest(path: str | Path, entries: list[ManifestEntry]) -> Path:
    """Write ``entries`` as JSON lines, atomically (a temporary file renamed into place)."""
    path = Path(path)
    refuse_covers80(path)
    for e in entries:
        check_entry(e, root=path.parent)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for e in entries:
            f.write(e.to_json() + "\n")
    tmp.replace(path)
    return path


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """Read a manifest written by ``write_manifest``; Covers80 paths are refused here too."""
    path = Path(path)
    refuse_covers80(path)
    entries = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = ManifestEntry.from_dict(json.loads(line))
            except (json.JSONDecodeError, TypeError) as exc:
                raise InvalidInput(f"{path.name}:{n}: not a manifest entry ({exc})") from exc
            check_entry(entry, root=path.parent)
            entries.append(entry)
    return entries
