"""Scratch folders for files being probed, downloaded or analysed, and their reaper.

Every such folder lives under ``Settings.scratch_dir`` and is removed when its work ends; a
process killed mid-work leaves its folder behind, so the worker removes folders older than
``Settings.scratch_grace_s`` when it starts and then every minute with the other orphans.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path

from backend.settings import Settings

log = logging.getLogger(__name__)


def scratch_folder(settings: Settings, *, prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder under the scratch dir (a context manager giving its path)."""
    settings.scratch_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=prefix, dir=settings.scratch_dir)


def _last_change(folder: Path) -> float:
    """The newest modification time of ``folder`` or anything directly in it."""
    times = [folder.stat().st_mtime]
    for entry in folder.iterdir():
        try:
            times.append(entry.stat(follow_symlinks=False).st_mtime)
        except FileNotFoundError:
            continue
    return max(times)


def reap_scratch(settings: Settings, *, now: float | None = None) -> int:
    """Remove scratch folders untouched for ``scratch_grace_s``; returns how many went."""
    root = settings.scratch_dir
    if not root.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - settings.scratch_grace_s
    removed = 0
    for folder in root.iterdir():
        try:
            if not folder.is_dir() or folder.is_symlink() or _last_change(folder) > cutoff:
                continue
        except FileNotFoundError:
            continue  # its own process finished with it meanwhile
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
        log.info("removed orphaned scratch folder %s", folder.name)
    return removed
