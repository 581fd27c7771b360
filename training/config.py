"""One experiment = one YAML file = one ``TrainConfig``. Options are strings, never integer codes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from model.network import PRESETS, NetworkConfig

MINERS = (
    "none",
    "triplet-all",
    "triplet-semihard",
    "triplet-hard",
    "batch-hard",
    "multi-similarity",
)
"""``none`` = every positive pair of the batch (batch-all); the others are pytorch-metric-learning miners."""

SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class DataSource:
    """A manifest folder (``DIR/manifest.jsonl``); ``weight`` is the share (0-1] of its training
    works used, so a mix is set per source and ablations can thin one source out."""

    path: str
    weight: float = 1.0


@dataclass(frozen=True)
class MinerPhase:
    """From ``start_step`` on, mine with ``miner`` (see ``MINERS``); ``margin`` for triplet miners."""

    start_step: int
    miner: str
    margin: float = 0.2


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on; the run is a pure function of this and the data."""

    name: str
    version: str
    data: tuple[DataSource, ...]
    output_dir: str = "runs"
    network: str | dict[str, Any] = "light"
    """A preset name from ``model.network.PRESETS`` or a ``NetworkConfig`` dict."""
    alpha: float = 45.0
    """AngularLoss angle in degrees (the thesis range: 36-55)."""
    batch_size: int = 64
    m_per_class: int = 4
    min_frames: int = 140
    max_frames: int = 440
    """Random crop length per batch, in CNN feature frames (~4.3 fps)."""
    stretch: tuple[float, float] = (1.0, 1.0)
    """Random time-stretch range of the features (rate; 1.0 = off)."""
    roll: bool = True
    """Random chroma roll of 0-11 bins per item (key invariance)."""
    steps: int = 1000
    stop_at_step: int = 0
    """Stop early at this step (0 = run all ``steps``) without changing the schedule: ablations
    compare recipes at matched steps of the same trajectory length."""
    miners: tuple[MinerPhase, ...] = (MinerPhase(0, "none"), MinerPhase(500, "batch-hard"))
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"
    warmup_steps: int = 0
    seed: int = 0
    threads: int = 2
    time_budget_minutes: float = 90.0
    """Hard wall-clock limit of the optimisation loop; the run stops and finalises when reached."""
    checkpoint_minutes: float = 5.0
    val_every: int = 250
    val_max_versions: int = 0
    """Cap on validation versions (0 = all)."""
    calibration_pairs: int = 20000
    ship: bool = False
    """Copy the final checkpoint to ``model/weights/coverscope.pt``."""

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("a config needs at least one data source")
        if isinstance(self.network, str) and self.network not in PRESETS:
            raise ValueError(f"unknown network preset {self.network!r}; one of {sorted(PRESETS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}")
        for phase in self.miners:
            if phase.miner not in MINERS:
                raise ValueError(f"unknown miner {phase.miner!r}; one of {MINERS}")
        if not self.miners or self.miners[0].start_step != 0:
            raise ValueError("the first miner phase must start at step 0")
        if self.batch_size % self.m_per_class:
            raise ValueError("m_per_class must divide batch_size")
        if not 0 < self.min_frames <= self.max_frames:
            raise ValueError("need 0 < min_frames <= max_frames")

    def network_config(self) -> NetworkConfig:
        if isinstance(self.network, str):
            return PRESETS[self.network]
        return NetworkConfig.from_dict(self.network)

    def miner_at(self, step: int) -> MinerPhase:
        current = self.miners[0]
        for phase in self.miners:
            if phase.start_step <= step:
                current = phase
        return current

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def config_from_dict(raw: dict[str, Any]) -> TrainConfig:
    raw = dict(raw)
    known = {f.name for f in fields(TrainConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    raw["data"] = tuple(
        DataSource(path=d) if isinstance(d, str) else DataSource(**d) for d in raw.get("data", ())
    )
    if "miners" in raw:
        raw["miners"] = tuple(MinerPhase(**m) for m in raw["miners"])
    if "stretch" in raw:
        raw["stretch"] = tuple(float(s) for s in raw["stretch"])
    return TrainConfig(**raw)


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML experiment file; relative data and output paths stay relative to the cwd."""
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f)
    if not isinstance(raw, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    raw.setdefault("name", Path(path).stem)
    return config_from_dict(raw)
