"""A 2-bar tune renders to non-silent audio whose chroma says the right pitch class."""

from __future__ import annotations

import numpy as np
import pytest

from datasets.arrange import Accompaniment, Arrangement, BeatNote, Tune, arrange, harmonise
from datasets.render import Renderer, find_soundfonts
from datasets.symbolic import TuneRef, to_tune
from model.hpcp import hpcp
from tests.datasets.conftest import TWO_BAR_ABC

A_BIN = 0


def plain(transpose: int = 0, accompaniment: Accompaniment = Accompaniment.NONE) -> Arrangement:
    return Arrangement(
        transpose=transpose,
        tempo=120.0,
        melody_program=0,
        melody_octave=0,
        double_program=None,
        accompaniment=accompaniment,
        chord_program=0,
        bass_program=32,
        drums=False,
        repeats=1,
        start_bar=0,
        soundfont=0,
        swing=0.0,
    )


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    try:
        fonts = find_soundfonts(prefer_small=True)
    except Exception as exc:  # no soundfont on this machine
        pytest.skip(str(exc))
    r = Renderer(fonts[:1])
    yield r
    r.close()


@pytest.mark.parametrize("transpose", [0, 3, -2])
def test_two_bar_tune_renders_its_pitch_class(
    renderer: Renderer, two_bar_tune: Tune, transpose: int
) -> None:
    rng = np.random.default_rng(0)
    y = renderer.render(arrange(two_bar_tune, plain(transpose), rng), soundfont=0)
    assert y.dtype == np.float32 and y.ndim == 1
    assert 4.0 <= y.size / renderer.sr <= 6.0  # 8 beats at 120 bpm, plus the release tail
    assert np.sqrt(np.mean(y**2)) > 1e-3
    chroma = hpcp(y, sr=renderer.sr)
    assert int(np.argmax(chroma.mean(axis=1))) == (A_BIN + transpose) % 12


def test_renders_are_independent(renderer: Renderer, two_bar_tune: Tune) -> None:
    tracks = arrange(two_bar_tune, plain(), np.random.default_rng(0))
    a = renderer.render(tracks, soundfont=0)
    after = renderer.render([], soundfont=0)
    b = renderer.render(tracks, soundfont=0)
    assert np.sqrt(np.mean(after**2)) < 1e-3  # nothing rings on into the next render
    assert a.shape == b.shape
    np.testing.assert_allclose(hpcp(a).mean(axis=1), hpcp(b).mean(axis=1), atol=0.05)


def test_accompaniment_follows_the_key(renderer: Renderer, two_bar_tune: Tune) -> None:
    chords = harmonise(two_bar_tune, span=4.0)
    assert all(pcs == (9, 1, 4) for _, pcs in chords)  # A major: A C# E
    tracks = arrange(
        two_bar_tune, plain(accompaniment=Accompaniment.ARPEGGIO), np.random.default_rng(1)
    )
    pcs = {n.pitch % 12 for t in tracks for n in t.notes}
    assert pcs <= {9, 1, 4}


def test_abc_tune_parses() -> None:
    tune = to_tune(TuneRef(abc=TWO_BAR_ABC))
    assert tune.beats_per_bar == 4.0
    assert tune.tonic == 9 and not tune.minor
    assert tune.length == 8.0
    assert [n.pitch for n in tune.melody][:4] == [69, 69, 76, 73]
    assert isinstance(tune.melody[0], BeatNote)
