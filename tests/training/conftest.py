"""A synthetic cover data set: each "work" is a random chord sequence; its versions are
transposed, tempo-changed and noisy renditions of it (raw HPCP at ~43 fps, as the data
builders write)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from datasets.manifest import ManifestEntry, write_manifest


def _work(rng: np.random.Generator, chords: int) -> np.ndarray:
    templates = rng.random((12, chords)) ** 3
    lengths = rng.integers(20, 60, size=chords)
    return np.repeat(templates, lengths, axis=1)


def _version(work: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rate = rng.uniform(0.8, 1.25)
    idx = np.clip(np.round(np.arange(0, work.shape[1], rate)).astype(int), 0, work.shape[1] - 1)
    v = np.roll(work[:, idx], int(rng.integers(0, 12)), axis=0)
    v = np.clip(v + rng.normal(0, 0.05, v.shape), 0, None)
    return (v / np.maximum(v.max(axis=0, keepdims=True), 1e-6)).astype(np.float32)


def write_synthetic(folder: Path, *, works: int = 24, versions: int = 4, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    (folder / "features").mkdir(parents=True, exist_ok=True)
    entries = []
    for w in range(works):
        base = _work(rng, chords=int(rng.integers(15, 30)))
        for k in range(versions):
            name = f"features/w{w:03d}-v{k}.npy"
            chroma = _version(base, rng)
            np.save(folder / name, chroma)
            entries.append(
                ManifestEntry(
                    work_id=f"w{w:03d}",
                    version_id=f"w{w:03d}-v{k}",
                    source="synthetic",
                    feature_path=name,
                    duration=chroma.shape[1] / 43.07,
                    split="val" if w % 4 == 0 else "train",
                    licence="CC0-1.0",
                    transform="roll+stretch+noise",
                )
            )
    write_manifest(folder / "manifest.jsonl", entries)
    return folder


@pytest.fixture(scope="session")
def synthetic_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_synthetic(tmp_path_factory.mktemp("synthetic"))
