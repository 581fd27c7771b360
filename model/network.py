"""The embedding CNN: chroma (12 x T) -> 256-d L2-normalised vector.

One class builds both the thesis architecture and lighter CPU variants from a small config,
so a checkpoint's config alone rebuilds its network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture of a ``CoverNet``. ``kernels`` are (bins, frames) per conv layer."""

    channels: tuple[int, ...] = (64, 64, 128, 128, 256, 256)
    kernels: tuple[tuple[int, int], ...] = ((3, 3), (3, 3), (3, 3), (3, 7), (5, 7), (5, 7))
    pool_after: tuple[int, ...] = (1, 3, 5)
    """Indices of conv layers followed by a (1 x 2) max-pool along time."""
    dropout: float = 0.1
    embedding_dim: int = 256
    circular_bins: bool = True
    """Pad the pitch axis circularly: chroma is a circle, C is next to B."""

    def __post_init__(self) -> None:
        if len(self.channels) != len(self.kernels):
            raise ValueError("channels and kernels need one entry per conv layer")
        if any(i >= len(self.channels) for i in self.pool_after):
            raise ValueError("pool_after names a layer that does not exist")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> NetworkConfig:
        raw = dict(raw)
        for key in ("channels", "pool_after"):
            if key in raw:
                raw[key] = tuple(raw[key])
        if "kernels" in raw:
            raw["kernels"] = tuple(tuple(k) for k in raw["kernels"])
        return cls(**raw)


PRESETS: dict[str, NetworkConfig] = {
    # The thesis table: 6 conv layers, ~8 s per batch of 64 on 2 CPU cores.
    "thesis": NetworkConfig(),
    # The thesis' published checkpoint: 4 conv layers, pool after each.
    "thesis-small": NetworkConfig(
        channels=(32, 32, 64, 128),
        kernels=((3, 7),) * 4,
        pool_after=(0, 1, 2, 3),
    ),
    # CPU variant: pooling after every layer, as the thesis platform deployed.
    "light": NetworkConfig(
        channels=(32, 64, 64, 128, 128, 256),
        kernels=((3, 3), (3, 3), (3, 3), (3, 7), (5, 7), (5, 7)),
        pool_after=(0, 1, 2, 3, 4),
    ),
}
PRESETS["default"] = PRESETS["light"]


class ConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: tuple[int, int], *, circular: bool) -> None:
        super().__init__()
        self.pad_bins, self.pad_frames = kernel[0] // 2, kernel[1] // 2
        self.circular = circular
        self.conv = nn.Conv2d(c_in, c_out, kernel, bias=False)
        self.norm = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad_bins:
            mode = "circular" if self.circular else "constant"
            x = F.pad(x, (0, 0, self.pad_bins, self.pad_bins), mode=mode)
        x = F.pad(x, (self.pad_frames, self.pad_frames, 0, 0))
        return F.relu(self.norm(self.conv(x)))


class CoverNet(nn.Module):
    """Input (batch, 12, frames) or (batch, 1, 12, frames); output (batch, embedding_dim), unit norm.

    Global average pooling over pitch and time makes any length >= 1 frame valid.
    """

    def __init__(self, config: NetworkConfig | None = None) -> None:
        super().__init__()
        self.config = config or PRESETS["default"]
        layers: list[nn.Module] = []
        c_in = 1
        for i, (c_out, kernel) in enumerate(
            zip(self.config.channels, self.config.kernels, strict=True)
        ):
            layers.append(ConvBlock(c_in, c_out, kernel, circular=self.config.circular_bins))
            if i in self.config.pool_after:
                layers.append(nn.MaxPool2d((1, 2), ceil_mode=True))
            c_in = c_out
        self.body = nn.Sequential(*layers)
        self.dropout = nn.Dropout(self.config.dropout)
        self.head = nn.Linear(c_in, self.config.embedding_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = self.body(x)
        x = x.mean(dim=(2, 3))
        x = self.head(self.dropout(x))
        return F.normalize(x, dim=1)
