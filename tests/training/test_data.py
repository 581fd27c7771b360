from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from training.config import DataSource, load_config
from training.data import Augment, BatchStream, VersionDataset, crop, load_splits

SMOKE = Path(__file__).resolve().parents[2] / "training" / "configs" / "smoke.yaml"


def _config(folder: Path):
    return replace(load_config(SMOKE), data=(DataSource(str(folder)),))


def test_splits_are_by_work(synthetic_set: Path) -> None:
    train, val = load_splits(_config(synthetic_set))
    assert {v.work for v in train}.isdisjoint({v.work for v in val})
    assert all(v.features.shape[0] == 12 for v in train + val)


def test_crop_length_and_stretch() -> None:
    rng = np.random.default_rng(0)
    ramp = np.tile(np.arange(100, dtype=np.float32), (12, 1))
    out = crop(ramp, 40, rate=1.5, rng=rng)
    assert out.shape == (12, 40)
    # 60 source frames read into 40: the ramp climbs 1.5 per output frame.
    assert np.allclose(np.diff(out[0]), 59 / 39, atol=1e-4)
    short = crop(ramp[:, :10], 40, rate=1.0, rng=rng)
    assert short.shape == (12, 40)


def test_batch_has_one_length_in_range_and_rolls_chroma() -> None:
    rng = np.random.default_rng(1)
    tone = np.zeros((12, 500), dtype=np.float32)
    tone[0] = 1.0  # everything in bin A
    augment = Augment(140, 440)
    lengths, peaks = set(), set()
    for _ in range(30):
        x, labels = augment([(tone, 0), (tone, 1)], rng)
        assert x.shape[0] == 2 and 140 <= x.shape[2] <= 440
        lengths.add(x.shape[2])
        peaks.update(int(b) for b in x[:, :, 0].argmax(dim=1))
        assert labels.tolist() == [0, 1]
    assert len(lengths) > 1
    assert len(peaks) > 6  # the A bin lands on many different bins: rolls of 0-11


def test_sampler_gives_m_versions_per_work(synthetic_set: Path) -> None:
    config = _config(synthetic_set)
    train, _ = load_splits(config)
    stream = BatchStream(VersionDataset(train), config)
    for _ in range(5):
        x, labels = stream.next()
        assert x.shape[0] == config.batch_size
        counts = Counter(labels.tolist())
        assert set(counts.values()) == {config.m_per_class}


def test_stream_state_resumes_identically(synthetic_set: Path) -> None:
    config = _config(synthetic_set)
    train, _ = load_splits(config)
    a = BatchStream(VersionDataset(train), config)
    np.random.seed(3)
    a.next()
    state = a.state_dict()
    expected = [a.next() for _ in range(3)]
    b = BatchStream(VersionDataset(train), config)
    b.load_state_dict(state)
    for (xe, le), (xg, lg) in zip(expected, [b.next() for _ in range(3)], strict=True):
        assert np.array_equal(le.numpy(), lg.numpy()) and np.allclose(xe.numpy(), xg.numpy())


def test_refuses_covers80(tmp_path: Path) -> None:
    from datasets.manifest import Covers80Refused

    folder = tmp_path / "covers80"
    folder.mkdir()
    (folder / "manifest.jsonl").write_text("")
    with pytest.raises(Covers80Refused):
        load_splits(_config(folder))
