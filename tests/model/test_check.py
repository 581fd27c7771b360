"""The pair check, end to end from audio files, as `coverscope check` gives it."""

import json
from pathlib import Path

import pytest

from coverscope.cli import main
from model.audio import encode
from model.check import check_pair
from model.embed import Embedder
from model.hpcp import hpcp
from tests.signals import tune


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "a": encode(tune(0, seconds=10.0, seed=5), folder / "a.mp3"),
        "a_up2": encode(tune(2, seconds=10.0, seed=5), folder / "a_up2.webm"),
    }


def test_check_of_ten_second_clips_as_json(
    clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(clips["a"]), str(clips["a_up2"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("is_cover", "probability", "distance", "key_shift", "matches", "threshold"):
        assert key in out
    assert 0.0 <= out["probability"] <= 1.0
    assert out["key_shift"] == -2
    assert out["matches"] and out["matches"][0]["a_end"] <= 10.5


def test_check_reads_as_a_sentence(
    clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(clips["a"]), str(clips["a_up2"])]) == 0
    text = capsys.readouterr().out
    assert "probability" in text and "key shift -2" in text


def test_check_of_a_non_audio_file_is_a_clear_error(
    tmp_path: Path, clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    assert main(["check", str(clips["a"]), str(notes)]) == 2
    assert "notes.txt is not decodable audio" in capsys.readouterr().err


def test_identical_songs_are_at_distance_zero() -> None:
    chroma = hpcp(tune(0, seconds=10.0, seed=5))
    result = check_pair(chroma, chroma, Embedder.load())
    assert result.distance == pytest.approx(0.0, abs=1e-5)
    assert result.is_cover and result.key_shift == 0
    assert result.segment_agreement == 1.0
    assert json.dumps(result.to_dict())
