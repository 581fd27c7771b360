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
    HARMONICS,
    HOP_SIZE,
    HPCP_BAND_PRESET,
    HPCP_NON_LINEAR,
    HPCP_NORMALIZED,
    HPCP_WEIGHT,
    HPCP_WINDOW_SEMITONES,
    MAX_FREQUENCY,
    MAX_PEAKS,
    MIN_FREQUENCY,
    N_BINS,
    PEAK_ORDER,
    PEAK_THRESHOLD,
    REFERENCE_FREQUENCY,
    SAMPLE_RATE,
    SEGMENT_OVERLAP,
    SEGMENT_SECONDS,
    SPECTRUM_WINDOW,
    TIME_SCALE,
)
from model.errors import ModelError
from model.network import CoverNet, NetworkConfig
from model.verdict import Calibration

DEFAULT_CHECKPOINT = Path(__file__).parent / "weights" / "coverscope.pt"
FORMAT = 1


FeatureParams = dict[str, str | int | float | bool]


def feature_params() -> FeatureParams:
    """Every parameter that shapes the features a network sees, as the code computes them now.

    A checkpoint stores these; loading refuses one trained on features made any other way.
    """
    return {
        "sample_rate": SAMPLE_RATE,
        "frame_size": FRAME_SIZE,
        "hop_size": HOP_SIZE,
        "spectrum_window": SPECTRUM_WINDOW,
        "peak_threshold": PEAK_THRESHOLD,
        "max_peaks": MAX_PEAKS,
        "peak_order": PEAK_ORDER,
        "n_bins": N_BINS,
        "reference_frequency": REFERENCE_FREQUENCY,
        "min_frequency": MIN_FREQUENCY,
        "max_frequency": MAX_FREQUENCY,
        "harmonics": HARMONICS,
        "band_preset": HPCP_BAND_PRESET,
        "non_linear": HPCP_NON_LINEAR,
        "weight": HPCP_WEIGHT,
        "window_semitones": HPCP_WINDOW_SEMITONES,
        "normalized": HPCP_NORMALIZED,
        "time_scale": TIME_SCALE,
    }


FORMAT_1_FEATURES: FeatureParams = {
    "spectrum_window": "blackmanharris62",
    "peak_threshold": 1e-5,
    "max_peaks": 100,
    "peak_order": "magnitude",
    "n_bins": 12,
    "reference_frequency": 440.0,
    "min_frequency": 40.0,
    "max_frequency": 5000.0,
    "harmonics": 8,
    "band_preset": False,
    "non_linear": False,
    "weight": "cosine",
    "window_semitones": 1.0,
    "normalized": "unitMax",
}
"""What checkpoints written before the guard covered the HPCP itself (the shipped 1.1.0
among them, which stores only sample rate, frame, hop and time scale) were trained with:
the values ``model.hpcp`` has used since the first commit. Written out here, not taken from
``model.constants``, so that changing a constant refuses those checkpoints too."""


def stored_features(raw: dict[str, Any]) -> FeatureParams:
    """A checkpoint's feature parameters, with the keys older checkpoints lack filled in."""
    return {**FORMAT_1_FEATURES, **raw}


def feature_mismatch(stored: FeatureParams) -> dict[str, tuple[object, object]]:
    """``{name: (checkpoint's value, current value)}`` for every parameter that differs."""
    current = feature_params()
    return {
        name: (stored.get(name), current.get(name))
        for name in sorted(set(stored) | set(current))
        if stored.get(name) != current.get(name)
    }


@dataclass
class Embedder:
    """A CoverNet in eval mode with everything needed to turn chroma into verdicts."""

    network: CoverNet
    version: str
    calibration: Calibration = field(default_factory=Calibration)
    features: FeatureParams = field(default_factory=feature_params)
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
        features = stored_features(raw["features"])
        if differ := feature_mismatch(features):
            changes = ", ".join(f"{k} {was!r} (now {now!r})" for k, (was, now) in differ.items())
            raise ModelError(
                f"{path} was trained on other features than this code computes: {changes}; "
                "retrain it, or run the version of Coverscope it was trained with"
            )
        network = CoverNet(NetworkConfig.from_dict(raw["config"]))
        network.load_state_dict(raw["state_dict"])
        network.eval()
        return cls(
            network=network,
            version=str(raw["version"]),
            calibration=Calibration.from_dict(raw["calibration"]),
            features=features,
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
        vectors: torch.Tensor = self.network(x)
        return vectors[0].numpy()

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
