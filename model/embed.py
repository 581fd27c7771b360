"""Checkpoint -> vectors: load a trained CoverNet and embed whole songs or segments.

A checkpoint is a plain ``torch.save`` dict of tensors, numbers and strings, read back with
``weights_only=True`` (no pickle of arbitrary objects). It carries the network config, a
version string, the feature parameters and the verdict calibration, so it alone rebuilds
the embedder.
"""

from __future__ import annotations

import pickle  # only for the exception type torch.load raises on garbage
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from model.constants import (
    FEATURE_FPS,
    FRAME_SIZE,
    HOP_SIZE,
    SAMPLE_RATE,
    SEGMENT_OVERLAP,
    SEGMENT_SECONDS,
    TIME_SCALE,
)
from model.errors import ModelError
from model.network import CoverNet, NetworkConfig
from model.verdict import Calibration

DEFAULT_CHECKPOINT = Path(__file__).parent / "weights" / "coverscope.pt"
FORMAT = 1


def feature_params() -> dict[str, Any]:
    return {
        "sample_rate": SAMPLE_RATE,
        "frame_size": FRAME_SIZE,
        "hop_size": HOP_SIZE,
        "time_scale": TIME_SCALE,
    }


@dataclass
class Embedder:
    """A CoverNet in eval mode with everything needed to turn chroma into verdicts."""

    network: CoverNet
    version: str
    calibration: Calibration = field(default_factory=Calibration)
    features: dict[str, Any] = field(default_factory=feature_params)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Embedder:
        path = Path(path or DEFAULT_CHECKPOINT)
        try:
            raw = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, ValueError, pickle.UnpicklingError) as exc:
            raise ModelError(f"cannot read checkpoint {path}: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ModelError(f"{path} is not a Coverscope checkpoint of format {FORMAT}")
        if raw["features"] != feature_params():
            raise ModelError(f"{path} was trained on other features: {raw['features']}")
        network = CoverNet(NetworkConfig.from_dict(raw["config"]))
        network.load_state_dict(raw["state_dict"])
        network.eval()
        return cls(
            network=network,
            version=str(raw["version"]),
            calibration=Calibration.from_dict(raw["calibration"]),
            features=dict(raw["features"]),
            extra=dict(raw.get("extra", {})),
        )

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "format": FORMAT,
                "version": self.version,
                "config": self.network.config.to_dict(),
                "features": self.features,
                "calibration": self.calibration.to_dict(),
                "extra": self.extra,
                "state_dict": self.network.state_dict(),
            },
            path,
        )
        return path

    @torch.inference_mode()
    def embed(self, features: np.ndarray) -> np.ndarray:
        """Embed one song's CNN features (12, n) -> unit vector (embedding_dim,) float32."""
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))[None]
        return self.network(x)[0].numpy()

    @torch.inference_mode()
    def embed_segments(
        self,
        features: np.ndarray,
        *,
        seconds: float = SEGMENT_SECONDS,
        overlap: float = SEGMENT_OVERLAP,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embed overlapping windows of (12, n) features.

        Returns ``(vectors, starts)``: (n_segments, dim) unit vectors and each window's
        start in seconds. A song shorter than one window gives one segment, the whole song.
        """
        starts, windows = segment_windows(features, seconds=seconds, overlap=overlap)
        x = torch.from_numpy(np.stack(windows).astype(np.float32))
        return self.network(x).numpy(), starts

    @property
    def dim(self) -> int:
        return self.network.config.embedding_dim


def segment_windows(
    features: np.ndarray, *, seconds: float, overlap: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cut (12, n) features into windows of ``seconds`` with ``overlap`` (0..1)."""
    size = max(1, round(seconds * FEATURE_FPS))
    step = max(1, round(size * (1.0 - overlap)))
    n = features.shape[1]
    if n <= size:
        return np.zeros(1, dtype=np.float32), [features]
    offsets = list(range(0, n - size + 1, step))
    if offsets[-1] + size < n:
        offsets.append(n - size)
    windows = [features[:, o : o + size] for o in offsets]
    return np.asarray(offsets, dtype=np.float32) / FEATURE_FPS, windows


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two unit embeddings (0 = identical, 2 = opposite)."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
