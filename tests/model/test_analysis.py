"""Song analyses: computed once, stored without pickle, read back bit for bit."""

import numpy as np
import pytest

from model.analysis import ANALYSIS_VERSION, COARSE_POOL, QMAX_POOL, SongAnalysis, analyse
from model.constants import FRAMES_PER_SECOND, SAMPLE_RATE
from model.embed import Embedder
from model.errors import InvalidInput
from tests.renditions import PROGRESSION_A, song


@pytest.fixture(scope="module")
def analysis() -> SongAnalysis:
    return analyse(song(PROGRESSION_A, melody_seed=1, seconds=30.0), embedder=Embedder.load())


def test_shapes_and_rates(analysis: SongAnalysis) -> None:
    assert analysis.duration == pytest.approx(30.0, abs=0.01)
    assert analysis.chroma.shape[0] == 12 and analysis.chroma.dtype == np.float16
    assert analysis.chroma.shape[1] == pytest.approx(30.0 * FRAMES_PER_SECOND / QMAX_POOL, abs=2)
    assert analysis.coarse.shape[1] == pytest.approx(30.0 * FRAMES_PER_SECOND / COARSE_POOL, abs=2)
    assert analysis.levels and all(level.hpcp.shape[0] > 0 for level in analysis.levels)
    assert analysis.embedding is not None and analysis.embedding_version


def test_bytes_round_trip_is_exact(analysis: SongAnalysis) -> None:
    raw = analysis.to_bytes()
    back = SongAnalysis.from_bytes(raw)
    assert back.duration == analysis.duration
    np.testing.assert_array_equal(back.chroma, analysis.chroma)
    np.testing.assert_array_equal(back.coarse, analysis.coarse)
    assert back.embedding is not None and analysis.embedding is not None
    np.testing.assert_array_equal(back.embedding, analysis.embedding)
    assert len(back.levels) == len(analysis.levels)
    for got, want in zip(back.levels, analysis.levels, strict=True):
        assert got.tempo == want.tempo
        for name in ("beats", "hpcp", "mfcc", "ssm"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))


def test_other_versions_and_garbage_are_refused(analysis: SongAnalysis) -> None:
    import io

    with np.load(io.BytesIO(analysis.to_bytes()), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["analysis_version"] = np.array(ANALYSIS_VERSION + "x")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(InvalidInput, match="version"):
        SongAnalysis.from_bytes(buffer.getvalue())
    with pytest.raises(InvalidInput):
        SongAnalysis.from_bytes(b"not an archive")


def test_long_songs_are_capped() -> None:
    y = song(PROGRESSION_A, melody_seed=1, seconds=30.0)
    capped = analyse(y, max_seconds=12.0)
    assert capped.duration == pytest.approx(30.0, abs=0.01)
    assert capped.analysed_seconds == pytest.approx(12.0)
    assert capped.chroma.shape[1] <= 12.0 * SAMPLE_RATE / 512 / QMAX_POOL + 1
    assert capped.embedding is None
