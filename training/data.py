"""Training data: manifests -> in-memory CNN features -> batches of random crops.

Every version's features are loaded once (they are small: 12 x ~1000 floats per song). A batch
is ``batch_size / m`` works with ``m`` versions each (``MPerClassSampler``); all its items are
cropped to one random length, optionally time-stretched, and rolled by a random 0-11 bins.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pytorch_metric_learning.samplers import MPerClassSampler
from torch.utils.data import Dataset

from datasets.manifest import check_entry, read_manifest, refuse_covers80
from model.constants import N_BINS
from model.hpcp import cnn_features
from training.config import DataSource, TrainConfig

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"


@dataclass
class Version:
    """One recording of one work, as the CNN sees it: features (12, n) at ~4.3 fps."""

    work: str
    version_id: str
    source: str
    split: str
    features: np.ndarray
    chroma_path: Path
    """The raw HPCP (12, n) on disk, read again only by the alignment fusion."""

    def chroma(self) -> np.ndarray:
        chroma: np.ndarray = np.load(self.chroma_path, allow_pickle=False)
        return chroma


def load_versions(source: DataSource) -> list[Version]:
    """Read one manifest folder; any path into Covers80 raises ``Covers80Refused``."""
    root = Path(source.path)
    refuse_covers80(root)
    versions = []
    for entry in read_manifest(root / MANIFEST):
        check_entry(entry, root=root)
        chroma = np.load(root / entry.feature_path, allow_pickle=False)
        if chroma.ndim != 2 or chroma.shape[0] != N_BINS or chroma.shape[1] == 0:
            log.warning("skipping %s: chroma of shape %s", entry.version_id, chroma.shape)
            continue
        versions.append(
            Version(
                work=f"{entry.source}/{entry.work_id}",
                version_id=entry.version_id,
                source=entry.source,
                split=entry.split,
                features=cnn_features(chroma),
                chroma_path=root / entry.feature_path,
            )
        )
    return versions


def select_works(
    versions: list[Version], fraction: float, rng: np.random.Generator
) -> list[Version]:
    """Keep a random ``fraction`` of the works (all their versions); 1.0 keeps everything."""
    if fraction >= 1.0:
        return versions
    works = sorted({v.work for v in versions})
    keep = set(rng.choice(works, size=max(1, round(len(works) * fraction)), replace=False).tolist())
    return [v for v in versions if v.work in keep]


def load_splits(config: TrainConfig) -> tuple[list[Version], list[Version]]:
    """Train and validation versions of every source; works with a single version are dropped
    from training (no positive pair) but kept in validation as distractors."""
    rng = np.random.default_rng(config.seed)
    train: list[Version] = []
    val: list[Version] = []
    for source in config.data:
        versions = load_versions(source)
        train += select_works([v for v in versions if v.split == "train"], source.weight, rng)
        val += [v for v in versions if v.split == "val"]
    counts: dict[str, int] = {}
    for v in train:
        counts[v.work] = counts.get(v.work, 0) + 1
    train = [v for v in train if counts[v.work] >= 2]
    if config.val_max_versions and len(val) > config.val_max_versions:
        works = sorted({v.work for v in val})
        rng.shuffle(works)
        kept: set[str] = set()
        total = 0
        for w in works:
            n = sum(1 for v in val if v.work == w)
            if total + n > config.val_max_versions:
                continue
            kept.add(w)
            total += n
        val = [v for v in val if v.work in kept]
    if not train:
        raise ValueError("no training work has two versions")
    return train, val


class VersionDataset(Dataset[tuple[np.ndarray, int]]):
    """Versions with integer work labels; items are (full features, label)."""

    def __init__(self, versions: list[Version]) -> None:
        self.versions = versions
        works = sorted({v.work for v in versions})
        index = {w: i for i, w in enumerate(works)}
        self.labels = np.array([index[v.work] for v in versions], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.versions)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return self.versions[i].features, int(self.labels[i])

    @property
    def n_works(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


def crop(features: np.ndarray, length: int, *, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A random window of (12, n) features resampled to ``length`` frames.

    ``rate`` > 1 reads more source frames than it outputs (the music plays faster). A song
    shorter than the window is looped: covers repeat their sections anyway.
    """
    source = max(2, round(length * rate))
    n = features.shape[1]
    if n < source:
        features = np.tile(features, (1, -(-source // n) + 1))
        n = features.shape[1]
    start = int(rng.integers(0, n - source + 1))
    window = features[:, start : start + source]
    if source == length:
        return window
    pos = np.linspace(0.0, source - 1.0, length)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, source - 1)
    frac = (pos - lo).astype(np.float32)
    resampled: np.ndarray = window[:, lo] * (1.0 - frac) + window[:, hi] * frac
    return resampled


@dataclass
class Augment:
    """Per-batch crop length, per-item time-stretch and chroma roll."""

    min_frames: int
    max_frames: int
    stretch: tuple[float, float] = (1.0, 1.0)
    roll: bool = True

    def __call__(
        self, items: list[tuple[np.ndarray, int]], rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        length = int(rng.integers(self.min_frames, self.max_frames + 1))
        out = np.empty((len(items), N_BINS, length), dtype=np.float32)
        lo, hi = np.log(self.stretch[0]), np.log(self.stretch[1])
        for k, (features, _) in enumerate(items):
            rate = float(np.exp(rng.uniform(lo, hi))) if hi > lo else 1.0
            window = crop(features, length, rate=rate, rng=rng)
            shift = int(rng.integers(0, N_BINS)) if self.roll else 0
            out[k] = np.roll(window, shift, axis=0)
        labels = torch.tensor([label for _, label in items], dtype=torch.int64)
        return torch.from_numpy(out), labels


class BatchStream:
    """Endless batches from ``MPerClassSampler`` + ``Augment``, with a resumable state.

    The sampler draws from numpy's global RNG (pytorch-metric-learning's choice); the crops
    from our own generator. ``state_dict`` holds both plus the undelivered indices, as
    plain tensors and ints so a checkpoint reloads with ``weights_only=True``.
    """

    def __init__(self, dataset: VersionDataset, config: TrainConfig) -> None:
        self.dataset = dataset
        self.batch_size = config.batch_size
        self.sampler = MPerClassSampler(
            dataset.labels,
            m=config.m_per_class,
            batch_size=config.batch_size,
            length_before_new_iter=max(config.batch_size * 100, config.batch_size),
        )
        self.augment = Augment(config.min_frames, config.max_frames, config.stretch, config.roll)
        self.rng = np.random.default_rng(config.seed + 1)
        self.pending: list[int] = []

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        if len(self.pending) < self.batch_size:
            self.pending = [int(i) for i in self.sampler]
        chunk, self.pending = self.pending[: self.batch_size], self.pending[self.batch_size :]
        return self.augment([self.dataset[i] for i in chunk], self.rng)

    def state_dict(self) -> dict[str, Any]:
        kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
        return {
            "pending": torch.tensor(self.pending, dtype=torch.int64),
            "crop_rng": _plain(dict(self.rng.bit_generator.state)),
            "numpy_global": {
                "kind": str(kind),
                "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                "pos": int(pos),
                "has_gauss": int(has_gauss),
                "cached": float(cached),
            },
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.pending = [int(i) for i in state["pending"].tolist()]
        self.rng.bit_generator.state = state["crop_rng"]
        g = state["numpy_global"]
        np.random.set_state(
            (g["kind"], g["keys"].numpy().astype(np.uint32), g["pos"], g["has_gauss"], g["cached"])
        )


def _plain(state: dict[str, Any]) -> dict[str, Any]:
    """numpy's PCG64 state as ints and strings (big ints pickle fine under weights_only)."""
    return {
        k: _plain(v) if isinstance(v, dict) else (v if isinstance(v, str) else int(v))
        for k, v in state.items()
    }
