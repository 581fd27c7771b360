from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml

from datasets.manifest import Covers80Refused
from model.embed import Embedder
from training import train as train_module
from training.config import DataSource, load_config
from training.train import FINAL_FILE, STATE_FILE, Trainer, train

SMOKE = Path(__file__).resolve().parents[2] / "training" / "configs" / "smoke.yaml"


def _config(data: Path, out: Path, **changes: object):
    return replace(
        load_config(SMOKE), data=(DataSource(str(data)),), output_dir=str(out), **changes
    )


def test_smoke_run_resumes_to_the_same_model(
    synthetic_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight = train(_config(synthetic_set, tmp_path / "straight"))

    interrupted = _config(synthetic_set, tmp_path / "interrupted")
    real_step = Trainer.train_step

    def crash_after_7(self: Trainer) -> float:
        if self.state.step == 7:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Trainer, "train_step", crash_after_7)
    with pytest.raises(KeyboardInterrupt):
        train(interrupted)
    assert (interrupted.run_dir / STATE_FILE).exists()
    assert not (interrupted.run_dir / FINAL_FILE).exists()
    monkeypatch.setattr(Trainer, "train_step", real_step)
    resumed = train(interrupted, resume=True)

    assert resumed["steps"] == straight["steps"] == 12
    a = Embedder.load(tmp_path / "straight" / "smoke" / FINAL_FILE)
    b = Embedder.load(interrupted.run_dir / FINAL_FILE)
    for key, tensor in a.network.state_dict().items():
        assert torch.equal(tensor, b.network.state_dict()[key]), key
    assert a.version == "smoke-0"
    assert a.extra["val"]["MAP"] == pytest.approx(resumed["val"]["MAP"])
    assert a.extra["config"]["alpha"] == 45


def test_calibration_is_stored(synthetic_set: Path, tmp_path: Path) -> None:
    summary = train(_config(synthetic_set, tmp_path, steps=4))
    embedder = Embedder.load(tmp_path / "smoke" / FINAL_FILE)
    cal = embedder.calibration
    assert 0.0 < cal.threshold < 2.0
    assert cal.slope > 0  # further apart -> less likely a cover
    assert embedder.calibration.probability(0.0) > embedder.calibration.probability(2.0)
    assert summary["calibration_pairs"]["cover_pairs"] > 0


def test_cli_entry_and_ship(
    synthetic_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = yaml.safe_load(SMOKE.read_text())
    raw.update(data=[{"path": str(synthetic_set)}], output_dir=str(tmp_path), steps=2, ship=True)
    config_path = tmp_path / "cli.yaml"
    config_path.write_text(yaml.safe_dump(raw))
    target = tmp_path / "shipped.pt"
    real_ship = train_module.ship
    monkeypatch.setattr(train_module, "ship", lambda checkpoint: real_ship(checkpoint, target))
    assert train_module.main(argparse.Namespace(config=config_path, resume=False)) == 0
    assert Embedder.load(target).version == "smoke-0"
    assert json.loads((tmp_path / "smoke" / "summary.json").read_text())["steps"] == 2


def test_refuses_manifest_pointing_into_covers80(synthetic_set: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sneaky"
    folder.mkdir()
    line = json.loads((synthetic_set / "manifest.jsonl").read_text().splitlines()[0])
    line["feature_path"] = "../../shared/datasets/covers80/coversongs/x.npy"
    (folder / "manifest.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(Covers80Refused):
        train(_config(folder, tmp_path / "out"))


def test_resume_refuses_another_recipe_but_accepts_a_new_budget(
    synthetic_set: Path, tmp_path: Path
) -> None:
    train(_config(synthetic_set, tmp_path, steps=2))
    again = train(_config(synthetic_set, tmp_path, steps=2, time_budget_minutes=5.0), resume=True)
    assert again["steps"] == 2
    with pytest.raises(ValueError, match="another config"):
        train(_config(synthetic_set, tmp_path, steps=2, alpha=36.0), resume=True)
