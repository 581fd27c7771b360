"""The pair check, end to end from audio files, as `coverscope check` gives it."""

import json
from pathlib import Path

import pytest

from coverscope.cli import main
from model.analysis import analyse
from model.audio import encode
from model.check import check_pair
from model.embed import Embedder
from model.score import ScorerConfig
from tests.renditions import BRIGHT, PROGRESSION_A, PROGRESSION_B, song

KEYS = (
    "is_cover",
    "probability",
    "distance",
    "threshold",
    "key_shift",
    "matches",
    "alignment_distance",
    "segment_agreement",
    "model_version",
    "components",
)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    cover = song(PROGRESSION_A, melody_seed=1, seconds=30.0, transpose=2, harmonics=BRIGHT, seed=3)
    return {
        "a": encode(song(PROGRESSION_A, melody_seed=1, seconds=30.0), folder / "a.mp3"),
        "a_up2": encode(cover, folder / "a_up2.webm"),
        "b": encode(song(PROGRESSION_B, melody_seed=2, seconds=30.0), folder / "b.mp3"),
    }


def test_check_as_json_says_cover_with_its_evidence(
    clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(clips["a"]), str(clips["a_up2"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(KEYS) <= set(out)
    assert out["is_cover"] is True and out["distance"] <= out["threshold"]
    assert out["key_shift"] == -2
    assert out["matches"] and out["matches"][0]["a_end"] <= 30.5
    config = ScorerConfig.load()
    assert set(config.components) | {"qmax"} <= set(out["components"])
    assert out["threshold"] == pytest.approx(-config.threshold, abs=1e-4)


def test_check_of_different_tunes_says_different(
    clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(clips["a"]), str(clips["b"]), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["is_cover"] is False and out["probability"] < 0.5


def test_check_reads_as_a_sentence(
    clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(clips["a"]), str(clips["a_up2"])]) == 0
    text = capsys.readouterr().out
    assert "SAME SONG" in text and "probability" in text and "key shift -2" in text


def test_check_of_a_non_audio_file_is_a_clear_error(
    tmp_path: Path, clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    assert main(["check", str(clips["a"]), str(notes)]) == 2
    assert "notes.txt is not decodable audio" in capsys.readouterr().err


def test_a_song_against_itself() -> None:
    a = analyse(song(PROGRESSION_B, melody_seed=2, seconds=30.0), embedder=Embedder.load())
    result = check_pair(a, a, config=ScorerConfig.load())
    assert result.is_cover and result.key_shift == 0
    assert result.components["embedding"]["raw"] == pytest.approx(0.0, abs=1e-5)
    assert result.segment_agreement > 0.5
    assert json.dumps(result.to_dict())
