"""Decoding every common format through ffmpeg, and clear errors for everything else."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from model.audio import Tags, decode, encode, ffmpeg_exe, read_tags
from model.constants import SAMPLE_RATE
from model.errors import UndecodableAudio
from tests.signals import tone

FORMATS = ["mp3", "m4a", "ogg", "opus", "webm", "wav", "flac"]


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("formats")
    y = tone(440.0, 3.0, harmonics=3)
    return {fmt: encode(y, folder / f"tone.{fmt}") for fmt in FORMATS}


def test_every_format_decodes_in_one_process(encoded: dict[str, Path]) -> None:
    # opus and webm included, one after another: the decode must never take the process down.
    for fmt, path in encoded.items():
        y = decode(path)
        assert y.dtype == np.float32 and y.ndim == 1, fmt
        assert abs(y.size / SAMPLE_RATE - 3.0) < 0.15, fmt
        spectrum = np.abs(np.fft.rfft(y))
        assert abs(np.argmax(spectrum) * SAMPLE_RATE / y.size - 440.0) < 3.0, fmt


def test_window_selection(encoded: dict[str, Path]) -> None:
    y = decode(encoded["wav"], offset=1.0, max_seconds=1.5)
    assert abs(y.size / SAMPLE_RATE - 1.5) < 0.01


@pytest.mark.parametrize(
    "content",
    [b"", b"this is plainly text, not audio\n" * 50, b"RIFF\x24\x00\x00\x00WAVEfmt garbage" * 10],
)
def test_non_audio_raises_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.mp3"
    path.write_bytes(content)
    with pytest.raises(UndecodableAudio, match=r"upload\.mp3"):
        decode(path)


def test_truncated_file_is_refused_or_decodes_what_is_there(
    encoded: dict[str, Path], tmp_path: Path
) -> None:
    whole = encoded["flac"].read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole[: len(whole) // 2])
    y = decode(cut)
    assert 0.5 < y.size / SAMPLE_RATE < 3.0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UndecodableAudio, match="no such file"):
        decode(tmp_path / "nope.wav")


def test_too_short(tmp_path: Path) -> None:
    path = encode(tone(440.0, 0.2), tmp_path / "blip.wav")
    with pytest.raises(UndecodableAudio, match="at least"):
        decode(path)


def test_formats_are_told_by_their_bytes_not_their_names(encoded: dict[str, Path]) -> None:
    # A file keeps decoding under a misleading suffix: the container is sniffed from its bytes.
    for fmt, path in encoded.items():
        renamed = path.with_name(f"renamed-{fmt}.bin")
        renamed.write_bytes(path.read_bytes())
        assert abs(decode(renamed).size / SAMPLE_RATE - 3.0) < 0.15, fmt


def _playlists(target: Path) -> dict[str, str]:
    """Text containers that make ffmpeg open another file: HLS and ffconcat."""
    return {
        "list.m3u8": f"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n{target}\n#EXT-X-ENDLIST\n",
        "list.ffconcat": f"ffconcat version 1.0\nfile '{target}'\n",
        "disguised.mp3": f"#EXTM3U\n#EXTINF:3.0,\nfile:{target}\n#EXT-X-ENDLIST\n",
    }


def test_playlists_naming_local_files_are_refused_alike_whether_the_file_exists(
    encoded: dict[str, Path], tmp_path: Path
) -> None:
    messages = []
    for target in (encoded["mp3"], encoded["wav"], tmp_path / "absent.mp3"):
        for name, text in _playlists(target).items():
            path = tmp_path / name
            path.write_text(text)
            with pytest.raises(UndecodableAudio) as caught:
                decode(path)
            messages.append(caught.value.message.replace(name, "NAME"))
    assert len(set(messages)) == 1, messages
    assert "not an accepted audio format" in messages[0]


def test_tags_are_read_from_every_format(tmp_path: Path) -> None:
    y = tone(440.0, 1.0)
    for fmt in FORMATS:
        path = encode(y, tmp_path / f"tagged.{fmt}")
        tagged = path.with_name(f"tagged-out.{fmt}")
        tags = ["title=Blue = Moon; live", "artist=Ella", "album=Songbook"]
        copy = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(path), "-c", "copy"]
        subprocess.run(
            [*copy, *(a for t in tags for a in ("-metadata", t)), str(tagged)], check=True
        )
        assert read_tags(tagged) == Tags(
            title="Blue = Moon; live", artist="Ella", album="Songbook"
        ), fmt
    assert read_tags(encode(y, tmp_path / "bare.wav")) == Tags(title="", artist="", album="")
