"""Checkpoints rebuild the embedder alone; a golden clip keeps the pipeline honest."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from model.audio import decode
from model.embed import (
    DEFAULT_CHECKPOINT,
    FORMAT_1_FEATURES,
    Embedder,
    feature_params,
    segment_windows,
)
from model.errors import ModelError
from model.hpcp import cnn_features, hpcp
from model.network import CoverNet, NetworkConfig
from model.verdict import Calibration, embedding_distance
from tests.signals import FIXTURES

GOLDEN = FIXTURES / "golden.json"


def seeded_embedder() -> Embedder:
    torch.manual_seed(1234)
    return Embedder(network=CoverNet(NetworkConfig()).eval(), version="golden-seed-1234")


def test_golden_clip_features_and_embedding() -> None:
    """clip.mp3 (a committed 8-s tune) -> HPCP profile and embedding of a seeded network."""
    golden = json.loads(GOLDEN.read_text())
    chroma = hpcp(decode(FIXTURES / "clip.mp3"))
    assert chroma.shape[1] == golden["frames"]
    np.testing.assert_allclose(chroma.mean(axis=1), golden["profile"], atol=1e-3)
    vector = seeded_embedder().embed(cnn_features(chroma))
    np.testing.assert_allclose(vector, golden["embedding"], atol=1e-3)


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    original = seeded_embedder()
    original.calibration = Calibration(threshold=0.7, slope=12.0, midpoint=0.8)
    path = original.save(tmp_path / "m.pt")
    loaded = Embedder.load(path)
    assert loaded.version == "golden-seed-1234"
    assert loaded.calibration == original.calibration
    assert loaded.network.config == original.network.config
    x = np.random.default_rng(0).standard_normal((12, 90)).astype(np.float32)
    np.testing.assert_allclose(loaded.embed(x), original.embed(x), atol=1e-6)


def test_shipped_checkpoint_loads_and_embeds_to_unit_vectors() -> None:
    embedder = Embedder.load(DEFAULT_CHECKPOINT)
    assert DEFAULT_CHECKPOINT.stat().st_size <= 20 * 1024 * 1024
    v = embedder.embed(np.random.default_rng(0).standard_normal((12, 300)).astype(np.float32))
    assert v.shape == (embedder.dim,)
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5


def test_garbage_checkpoint_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError):
        Embedder.load(bad)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("hop_size", 1024),
        ("min_frequency", 100.0),
        ("max_frequency", 3500.0),
        ("harmonics", 4),
        ("n_bins", 36),
        ("time_scale", 0.2),
        ("weight", "squaredCosine"),
    ],
)
def test_checkpoint_with_other_features_is_refused(
    tmp_path: Path, name: str, value: object
) -> None:
    e = seeded_embedder()
    e.features = {**e.features, name: value}
    with pytest.raises(ModelError, match=f"other features.*{name} {value!r}"):
        Embedder.load(e.save(tmp_path / "other.pt"))


def test_checkpoint_from_before_the_full_guard_still_loads(tmp_path: Path) -> None:
    """Like the shipped 1.1.0: only rate, frame, hop and time scale stored; the rest filled."""
    e = seeded_embedder()
    e.features = {k: e.features[k] for k in ("sample_rate", "frame_size", "hop_size", "time_scale")}
    loaded = Embedder.load(e.save(tmp_path / "old.pt"))
    assert loaded.features == feature_params()
    assert Embedder.load(DEFAULT_CHECKPOINT).features == feature_params()


def test_old_checkpoints_are_filled_with_every_parameter_but_the_four_they_store() -> None:
    stored = {"sample_rate", "frame_size", "hop_size", "time_scale"}
    assert set(FORMAT_1_FEATURES) == set(feature_params()) - stored


def test_a_checkpoint_trained_on_another_band_is_refused(tmp_path: Path) -> None:
    """The error names what differs, with the stored and the current value."""
    e = seeded_embedder()
    e.features = {**e.features, "min_frequency": 60.0, "max_frequency": 4000.0}
    with pytest.raises(ModelError, match=r"max_frequency 4000\.0 \(now 5000\.0\)"):
        Embedder.load(e.save(tmp_path / "band.pt"))


def test_segments_cover_the_song_with_overlap() -> None:
    feats = np.zeros((12, 1000), dtype=np.float32)
    starts, windows = segment_windows(feats, seconds=85.0, overlap=0.5)
    size = windows[0].shape[1]
    assert all(w.shape[1] == size for w in windows)
    assert starts[0] == 0 and np.all(np.diff(starts) > 0)
    step = round(size * 0.5)
    assert round(starts[1] * 22050 / 512 / 10) == pytest.approx(step, abs=1)


def test_short_song_is_one_segment() -> None:
    vectors, starts = seeded_embedder().embed_segments(np.ones((12, 40), dtype=np.float32))
    assert vectors.shape == (1, 256) and list(starts) == [0.0]


def test_distance_bounds() -> None:
    a = np.array([1.0, 0.0])
    assert embedding_distance(a, a) == 0.0
    assert embedding_distance(a, -a) == pytest.approx(2.0)
