"""The CNN: shapes for any length, unit-norm output, configs that round-trip."""

import pytest
import torch

from model.network import PRESETS, CoverNet, NetworkConfig


@pytest.mark.parametrize("preset", ["light", "thesis-small", "thesis"])
@pytest.mark.parametrize("frames", [1, 7, 140, 441])
def test_any_length_gives_unit_vectors(preset: str, frames: int) -> None:
    net = CoverNet(PRESETS[preset]).eval()
    with torch.no_grad():
        out = net(torch.randn(3, 12, frames))
    assert out.shape == (3, 256)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(3))


def test_four_dimensional_input_is_accepted() -> None:
    net = CoverNet().eval()
    with torch.no_grad():
        assert net(torch.randn(2, 1, 12, 50)).shape == (2, 256)


def test_thesis_architecture_matches_the_table() -> None:
    cfg = PRESETS["thesis"]
    assert cfg.channels == (64, 64, 128, 128, 256, 256)
    assert cfg.kernels == ((3, 3), (3, 3), (3, 3), (3, 7), (5, 7), (5, 7))
    net = CoverNet(cfg)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == list(cfg.channels)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert any(isinstance(m, torch.nn.Dropout) for m in net.modules())


def test_config_round_trips_through_a_plain_dict() -> None:
    cfg = NetworkConfig(
        channels=(8, 16), kernels=((3, 3), (3, 5)), pool_after=(0,), embedding_dim=32
    )
    assert NetworkConfig.from_dict(cfg.to_dict()) == cfg


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError):
        NetworkConfig(channels=(8, 16), kernels=((3, 3),))


def test_circular_padding_makes_a_key_roll_equivalent_to_rolling_the_feature_maps() -> None:
    torch.manual_seed(0)
    net = CoverNet(
        NetworkConfig(channels=(4,), kernels=((3, 3),), pool_after=(), dropout=0.0)
    ).eval()
    x = torch.randn(1, 12, 20)
    with torch.no_grad():
        maps = net.body(x.unsqueeze(1))
        rolled = net.body(torch.roll(x, 3, dims=1).unsqueeze(1))
    torch.testing.assert_close(torch.roll(maps, 3, dims=2), rolled)
