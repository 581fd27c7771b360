"""Musical facts the chroma must respect."""

import numpy as np
import pytest

from model.errors import InvalidInput
from model.hpcp import block_mean, cnn_features, hpcp, transpose, znorm
from tests.signals import tone, tune

A4 = 440.0


def test_a440_peaks_in_the_a_bin() -> None:
    chroma = hpcp(tone(A4, 2.0, harmonics=4))
    assert chroma.shape[0] == 12
    profile = chroma[:, 5:-5].mean(axis=1)
    assert int(np.argmax(profile)) == 0


@pytest.mark.parametrize("semitone", [1, 3, 7, 11])
def test_each_semitone_lands_in_its_bin(semitone: int) -> None:
    chroma = hpcp(tone(A4 * 2 ** (semitone / 12), 1.0))
    assert int(np.argmax(chroma[:, 5:-5].mean(axis=1))) == semitone


@pytest.mark.parametrize("k", [2, 5])
def test_transposing_audio_rolls_the_chroma(k: int) -> None:
    base = hpcp(tune(0)).mean(axis=1)
    shifted = hpcp(tune(k)).mean(axis=1)
    best = int(np.argmax([np.dot(np.roll(base, r), shifted) for r in range(12)]))
    assert best == k
    np.testing.assert_allclose(transpose(base[:, None], k)[:, 0], np.roll(base, k))


def test_silence_is_finite_and_zero() -> None:
    chroma = hpcp(np.zeros(22050, dtype=np.float32))
    assert np.all(np.isfinite(chroma))
    assert np.all(chroma == 0)
    assert np.all(np.isfinite(cnn_features(chroma)))


def test_frame_count_follows_the_hop() -> None:
    chroma = hpcp(np.zeros(22050 * 3, dtype=np.float32) + 1e-3)
    assert chroma.shape[1] == pytest.approx((22050 * 3 - 2048) / 512 + 1, abs=1)


def test_too_low_sample_rate_is_refused() -> None:
    with pytest.raises(InvalidInput):
        hpcp(tone(A4, 1.0, sr=8000), sr=8000)


def test_cnn_features_scale_time_and_normalise() -> None:
    chroma = np.random.default_rng(0).random((12, 1000)).astype(np.float32)
    feats = cnn_features(chroma)
    assert feats.shape == (12, 100)
    z = znorm(chroma)
    assert abs(float(z.mean())) < 1e-5 and abs(float(z.std()) - 1) < 1e-4


def test_block_mean_keeps_partial_blocks() -> None:
    x = np.arange(24, dtype=np.float32).reshape(12, 2).repeat(5, axis=1)[:, :7]
    out = block_mean(x, 5)
    assert out.shape == (12, 2)
    np.testing.assert_allclose(out[:, 0], x[:, :5].mean(axis=1))
