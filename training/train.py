"""``coverscope train --config X [--resume]``: metric learning of the embedding CNN.

AngularLoss over batches of m versions per work, mined batch-all first and batch-hard later
(the thesis' schedule), random crop lengths and chroma rolls. Validation MAP on held-out
works picks the best weights; the verdict threshold/probability (and optionally the fusion
with Qmax) are calibrated on the same validation split. Never on Covers80.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pytorch_metric_learning import losses, miners
from tqdm import tqdm

from model.embed import DEFAULT_CHECKPOINT, Embedder
from model.network import CoverNet
from training.config import MinerPhase, TrainConfig, load_config
from training.data import BatchStream, Version, VersionDataset, load_splits
from training.evaluation.validation import calibrate, evaluate, scores_by_group, source_family

log = logging.getLogger(__name__)

STATE_FILE = "state.pt"
BEST_FILE = "best.pt"
FINAL_FILE = "coverscope.pt"
MAX_SHIPPED_BYTES = 20 * 1024 * 1024


def main(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    summary = train(config, resume=bool(getattr(args, "resume", False)))
    print(
        json.dumps({k: summary[k] for k in ("version", "steps", "wall_minutes", "val")}, indent=2)
    )
    return 0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def build_miner(phase: MinerPhase) -> miners.BaseMiner | None:
    """The pytorch-metric-learning miner of a phase; ``none`` = every positive pair."""
    if phase.miner == "none":
        return None
    if phase.miner.startswith("triplet-"):
        kind = phase.miner.removeprefix("triplet-")
        return miners.TripletMarginMiner(margin=phase.margin, type_of_triplets=kind)
    if phase.miner == "batch-hard":
        return miners.BatchHardMiner()
    return miners.MultiSimilarityMiner(epsilon=phase.margin)


def lr_factor(config: TrainConfig, step: int) -> float:
    """Linear warm-up, then constant or cosine decay to 5% of the base rate."""
    if step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.schedule == "constant":
        return 1.0
    span = max(1, config.steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress))


@dataclass
class RunState:
    """Everything beyond the weights that a resumed run needs."""

    step: int = 0
    elapsed: float = 0.0
    best_map: float = -1.0
    best_step: int = -1
    history: list[dict[str, float]] = field(default_factory=list)


class Trainer:
    def __init__(self, config: TrainConfig, train: list[Version], val: list[Version]) -> None:
        self.config = config
        self.run_dir = config.run_dir
        self.dataset = VersionDataset(train)
        self.stream = BatchStream(self.dataset, config)
        self.val = val
        self.val_labels = VersionDataset(val).labels
        self.network = CoverNet(config.network_config())
        self.loss = losses.AngularLoss(alpha=config.alpha)
        self.optimizer = torch.optim.Adam(
            self.network.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: lr_factor(config, step)
        )
        self.state = RunState()
        self._miner_name = ""
        self._miner: miners.BaseMiner | None = None

    # -- checkpoints -------------------------------------------------------------------
    def save_state(self) -> None:
        tmp = self.run_dir / (STATE_FILE + ".tmp")
        torch.save(
            {
                "config": self.config.to_dict(),
                "network": self.network.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "stream": self.stream.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "python_rng": _python_rng_state(),
                "step": self.state.step,
                "elapsed": self.state.elapsed,
                "best_map": self.state.best_map,
                "best_step": self.state.best_step,
                "history": self.state.history,
            },
            tmp,
        )
        tmp.replace(self.run_dir / STATE_FILE)

    def load_state(self) -> None:
        raw = torch.load(self.run_dir / STATE_FILE, map_location="cpu", weights_only=True)
        if _recipe(raw["config"]) != _recipe(self.config.to_dict()):
            raise ValueError(f"{self.run_dir} was trained with another config; refusing to resume")
        self.network.load_state_dict(raw["network"])
        self.optimizer.load_state_dict(raw["optimizer"])
        self.scheduler.load_state_dict(raw["scheduler"])
        self.stream.load_state_dict(raw["stream"])
        torch.set_rng_state(raw["torch_rng"])
        random.setstate(_python_rng_from(raw["python_rng"]))
        self.state = RunState(
            step=int(raw["step"]),
            elapsed=float(raw["elapsed"]),
            best_map=float(raw["best_map"]),
            best_step=int(raw["best_step"]),
            history=list(raw["history"]),
        )
        log.info(
            "resumed %s at step %d (%.1f min done)",
            self.run_dir,
            self.state.step,
            self.state.elapsed / 60,
        )

    # -- one step ----------------------------------------------------------------------
    def miner(self) -> miners.BaseMiner | None:
        phase = self.config.miner_at(self.state.step)
        if phase.miner != self._miner_name:
            self._miner_name, self._miner = phase.miner, build_miner(phase)
            log.info("step %d: miner %s", self.state.step, phase.miner)
        return self._miner

    def train_step(self) -> float:
        x, labels = self.stream.next()
        self.network.train()
        embeddings = self.network(x)
        miner = self.miner()
        indices = miner(embeddings, labels) if miner is not None else None
        loss = self.loss(embeddings, labels, indices)
        self.optimizer.zero_grad(set_to_none=True)
        if loss.requires_grad:
            loss.backward()
            self.optimizer.step()
        self.scheduler.step()
        self.state.step += 1
        return float(loss.detach())

    def validate(self) -> dict[str, float]:
        scores, _ = evaluate(self.network, [v.features for v in self.val], self.val_labels)
        out = {
            "step": float(self.state.step),
            **{f"val_{k}": v for k, v in scores.to_dict().items()},
        }
        if scores.map > self.state.best_map:
            self.state.best_map, self.state.best_step = scores.map, self.state.step
            torch.save(
                {"network": self.network.state_dict(), "step": self.state.step, "map": scores.map},
                self.run_dir / BEST_FILE,
            )
        log.info(
            "step %d: %s (best MAP %.4f at %d)",
            self.state.step,
            _fmt(out),
            self.state.best_map,
            self.state.best_step,
        )
        return out

    # -- the loop ----------------------------------------------------------------------
    def fit(self) -> None:
        config = self.config
        budget = config.time_budget_minutes * 60.0
        started = time.perf_counter() - self.state.elapsed
        last_save = time.perf_counter()
        window: list[float] = []
        bar = tqdm(
            total=config.steps,
            initial=self.state.step,
            desc=config.name,
            unit="step",
            dynamic_ncols=True,
        )
        validated_at = -1
        last = min(config.steps, config.stop_at_step or config.steps)
        while self.state.step < last:
            if time.perf_counter() - started >= budget:
                log.warning(
                    "time budget of %.0f min reached at step %d",
                    config.time_budget_minutes,
                    self.state.step,
                )
                break
            window.append(self.train_step())
            bar.update(1)
            bar.set_postfix(
                loss=f"{np.mean(window[-20:]):.3f}",
                miner=self._miner_name,
                lr=f"{self.scheduler.get_last_lr()[0]:.1e}",
            )
            if self.state.step % 50 == 0:
                self.state.history.append(
                    {"step": float(self.state.step), "loss": float(np.mean(window))}
                )
                log.info("step %d: loss %.4f", self.state.step, np.mean(window))
                window = []
            if self.state.step % config.val_every == 0:
                self.state.history.append(self.validate())
                validated_at = self.state.step
            self.state.elapsed = time.perf_counter() - started
            if time.perf_counter() - last_save >= config.checkpoint_minutes * 60.0:
                self.save_state()
                last_save = time.perf_counter()
        bar.close()
        if validated_at != self.state.step:
            self.state.history.append(self.validate())
        self.state.elapsed = time.perf_counter() - started
        self.save_state()

    def finalise(self, sources: dict[str, Any]) -> dict[str, Any]:
        """Best weights + calibration (+ fusion) -> the Embedder checkpoint in the run dir."""
        best = torch.load(self.run_dir / BEST_FILE, map_location="cpu", weights_only=True)
        self.network.load_state_dict(best["network"])
        self.network.eval()
        scores, distances = evaluate(self.network, [v.features for v in self.val], self.val_labels)
        calibration, cal_summary = calibrate(
            distances,
            self.val_labels,
            max_pairs=self.config.calibration_pairs,
            seed=self.config.seed,
        )
        summary: dict[str, Any] = {
            "version": self.config.version,
            "data": sources,
            "steps": self.state.step,
            "best_step": int(best["step"]),
            "wall_minutes": round(self.state.elapsed / 60.0, 2),
            "val": scores.to_dict(),
            "val_by_source": scores_by_group(
                distances, self.val_labels, [source_family(v.source) for v in self.val]
            ),
            "calibration_pairs": cal_summary,
            "config": self.config.to_dict(),
            "torch": str(torch.__version__),
        }
        summary = plain(summary)
        embedder = Embedder(
            network=self.network,
            version=self.config.version,
            calibration=calibration,
            extra=summary,
        )
        path = embedder.save(self.run_dir / FINAL_FILE)
        (self.run_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        log.info("wrote %s: val %s, calibration %s", path, _fmt(summary["val"]), calibration)
        return summary


def train(config: TrainConfig, *, resume: bool = False) -> dict[str, Any]:
    """Run (or resume) one experiment end to end; returns the training summary."""
    torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    config.run_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(config.run_dir / "train.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(min(logging.getLogger().level or logging.INFO, logging.INFO))
    try:
        t0 = time.perf_counter()
        train_versions, val_versions = load_splits(config)
        if len({v.work for v in val_versions}) < 2:
            raise ValueError("the validation split needs at least two works")
        sources = data_summary(config, train_versions, val_versions)
        log.info("data loaded in %.1f s: %s", time.perf_counter() - t0, sources)
        trainer = Trainer(config, train_versions, val_versions)
        if resume and (config.run_dir / STATE_FILE).exists():
            trainer.load_state()
        elif resume:
            log.warning("nothing to resume in %s; starting afresh", config.run_dir)
        trainer.fit()
        summary = trainer.finalise(sources)
        if config.ship:
            ship(config.run_dir / FINAL_FILE)
        return summary
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def ship(checkpoint: Path, target: Path = DEFAULT_CHECKPOINT) -> Path:
    """Copy the final checkpoint to the shipped location (refusing anything over 20 MB)."""
    size = checkpoint.stat().st_size
    if size > MAX_SHIPPED_BYTES:
        raise ValueError(
            f"{checkpoint} is {size / 2**20:.1f} MB; the shipped model must be <= 20 MB"
        )
    Embedder.load(checkpoint)
    shutil.copyfile(checkpoint, target)
    log.info("shipped %s -> %s (%.1f MB)", checkpoint, target, size / 2**20)
    return target


def data_summary(config: TrainConfig, train: list[Version], val: list[Version]) -> dict[str, Any]:
    out: dict[str, Any] = {"sources": [{"path": s.path, "weight": s.weight} for s in config.data]}
    for name, versions in (("train", train), ("val", val)):
        by_source: dict[str, dict[str, int]] = {}
        for v in versions:
            entry = by_source.setdefault(v.source, {"works": 0, "versions": 0})
            entry["versions"] += 1
        for source, entry in by_source.items():
            entry["works"] = len({v.work for v in versions if v.source == source})
        out[name] = by_source
    return out


def plain(value: Any) -> Any:
    """Numbers, strings, lists and dicts only: what ``torch.load(weights_only=True)`` accepts."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool):
        return value
    for kind in (int, float, str):
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


OPERATIONAL = (
    "name",
    "version",
    "stop_at_step",
    "time_budget_minutes",
    "checkpoint_minutes",
    "ship",
    "fusion",
    "output_dir",
)
"""Config fields that do not change the learned weights: a resume may change them."""


def _recipe(config: dict[str, Any]) -> dict[str, Any]:
    recipe: dict[str, Any] = plain({k: v for k, v in config.items() if k not in OPERATIONAL})
    return recipe


def _python_rng_state() -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    return {
        "version": version,
        "internal": torch.tensor(internal, dtype=torch.int64),
        "gauss": gauss,
    }


def _python_rng_from(raw: dict[str, Any]) -> tuple[Any, ...]:
    return (raw["version"], tuple(int(i) for i in raw["internal"].tolist()), raw["gauss"])


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()
    )
