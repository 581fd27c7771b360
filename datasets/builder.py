"""What a data-set builder is, and the deterministic helpers every builder shares.

A builder lists its works (cheap, deterministic) and makes every version of one work; the
driver in ``datasets.build`` runs them. Builders import this module, never the driver, so the
driver can import every builder without an import cycle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from datasets.manifest import ManifestEntry
from model.constants import HOP_SIZE, SAMPLE_RATE

VAL_FRACTION = 0.1


@dataclass(frozen=True)
class Job:
    """One work to build: the builder's own description plus where and how."""

    work: Any
    out: Path
    seed: int


@dataclass(frozen=True)
class Builder:
    name: str
    description: str
    list_works: Callable[[int], list[Any]]
    """seed -> works, most wanted first (the driver keeps this order's priority classes)."""
    build_work: Callable[[Job], list[ManifestEntry]]
    work_id: Callable[[Any], str]


def work_rng(seed: int, *keys: object) -> np.random.Generator:
    """A generator that depends only on the seed and the keys (not on build order)."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def order_key(seed: int, work_id: str) -> str:
    """A seeded shuffle that does not move a work when other works are added or removed."""
    return hashlib.sha256(f"order:{seed}:{work_id}".encode()).hexdigest()


def split_of(work_id: str, seed: int) -> str:
    """'val' for about ``VAL_FRACTION`` of works, fixed by the seed and the work id."""
    digest = hashlib.sha256(f"split:{seed}:{work_id}".encode()).digest()
    return "val" if int.from_bytes(digest[:4], "little") / 2**32 < VAL_FRACTION else "train"


def feature_relpath(work_id: str, version: int) -> str:
    """features/<2 hex>/<safe work id>__v<k>.npy, relative to the set's folder."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in work_id)[:120]
    bucket = hashlib.sha1(work_id.encode()).hexdigest()[:2]
    return f"features/{bucket}/{safe}__v{version}.npy"


def save_features(out: Path, rel: str, y: np.ndarray | None) -> float:
    """HPCP of ``y`` saved at ``out/rel``; returns the duration in seconds.

    With ``y`` None the file must already exist (a rebuild) and its length is read back.
    """
    from model.hpcp import hpcp

    path = out / rel
    if y is None:
        frames = np.load(path, mmap_mode="r", allow_pickle=False).shape[1]
        return float(frames * HOP_SIZE / SAMPLE_RATE)
    chroma = hpcp(y, sr=SAMPLE_RATE)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, chroma.astype(np.float32), allow_pickle=False)
    tmp.replace(path)
    return float(y.shape[0] / SAMPLE_RATE)
