"""Decode any audio file ffmpeg understands to mono float32 at the pipeline's sample rate.

Essentia's own loaders cannot read opus/webm and a second such failure in one process can
abort it, so every decode goes through the ffmpeg binary shipped by ``imageio-ffmpeg`` in a
child process: a broken file can only ever fail that child. ffmpeg is told the container
(sniffed by ``model.containers`` from an allow-list of audio formats) and may use only the
``file`` protocol, so an upload can never make it read another file or the network.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from model.constants import SAMPLE_RATE
from model.containers import ACCEPTED, container_of
from model.errors import UndecodableAudio

MIN_SECONDS = 0.5
"""Shorter signals carry too few HPCP frames to say anything."""


@cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (the one bundled with imageio-ffmpeg)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def decode(
    path: str | Path,
    *,
    sr: int = SAMPLE_RATE,
    offset: float = 0.0,
    max_seconds: float | None = None,
    trusted: bool = False,
) -> np.ndarray:
    """Decode ``path`` to a mono float32 signal of shape (n_samples,) at ``sr`` Hz.

    ``offset`` and ``max_seconds`` select a window (seconds). Only the containers of
    ``model.containers`` are accepted unless ``trusted`` (a local file we picked ourselves, a
    dataset's tracker module say), when ffmpeg may probe any format it knows. Raises
    ``UndecodableAudio`` for a missing file, a file that is not audio, or one shorter than
    ``MIN_SECONDS``.
    """
    path = Path(path)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if offset > 0:
        cmd += ["-ss", f"{offset:.3f}"]
    cmd += [*_input(path, trusted=trusted), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sr)]
    if max_seconds is not None:
        cmd += ["-t", f"{max_seconds:.3f}"]
    cmd += ["-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else f"ffmpeg exited with {proc.returncode}"
        raise UndecodableAudio(f"{path.name} is not decodable audio ({detail})")
    y = np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32, copy=True)
    if y.size < MIN_SECONDS * sr:
        raise UndecodableAudio(
            f"{path.name} holds {y.size / sr:.2f} s of audio; at least {MIN_SECONDS} s is needed"
        )
    if not np.all(np.isfinite(y)):
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    return y


def _input(path: Path, *, trusted: bool = False) -> list[str]:
    """ffmpeg's input options for ``path``: its sniffed container (probed by ffmpeg if
    ``trusted``) and the file protocol only. Raises ``UndecodableAudio`` for a missing file or
    one that is not an accepted container."""
    if not path.is_file():
        raise UndecodableAudio(f"{path.name}: no such file")
    local = ["-protocol_whitelist", "file", "-i", f"file:{path.resolve()}"]
    if trusted:
        return local
    demuxer = container_of(path)
    if demuxer is None:
        raise UndecodableAudio(
            f"{path.name} is not decodable audio: not an accepted audio format "
            f"(accepted: {ACCEPTED})."
        )
    return ["-f", demuxer, *local]


@dataclass(frozen=True)
class Tags:
    """What an audio file says about itself ("" when a tag is absent)."""

    title: str = ""
    artist: str = ""
    album: str = ""


def read_tags(path: str | Path) -> Tags:
    """The title / artist / album tags of an audio file (container-level, or the first audio
    stream's for Ogg, which keeps its Vorbis comments there). Raises ``UndecodableAudio`` as
    ``decode`` does."""
    path = Path(path)
    inputs = _input(path)
    source = "0:s:a:0" if inputs[inputs.index("-f") + 1] == "ogg" else "0"
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *inputs]
    cmd += ["-map_metadata", source, "-f", "ffmetadata", "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise UndecodableAudio(f"{path.name} is not decodable audio (its tags are unreadable)")
    found = parse_ffmetadata(proc.stdout.decode(errors="replace"))
    return Tags(
        title=found.get("title", ""), artist=found.get("artist", ""), album=found.get("album", "")
    )


def parse_ffmetadata(text: str) -> dict[str, str]:
    """The global ``key=value`` pairs of ffmpeg's FFMETADATA1 text (keys lower-cased, the
    backslash escapes of ``=;#\\`` and newline undone), up to its first ``[SECTION]``."""
    entries: list[tuple[str, str]] = []
    key: list[str] = []
    value: list[str] | None = None
    chars = iter(text)
    for c in chars:
        if c == "\\":
            (key if value is None else value).append(next(chars, ""))
        elif c == "=" and value is None:
            value = []
        elif c == "\n":
            if value is not None:
                entries.append(("".join(key), "".join(value)))
            elif key and key[0] == "[":
                break
            key, value = [], None
        else:
            (key if value is None else value).append(c)
    if value is not None:
        entries.append(("".join(key), "".join(value)))
    return {k.strip().lower(): v.strip() for k, v in entries if not k.startswith((";", "#"))}


def duration(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> float:
    """Length of a decoded signal in seconds."""
    return float(y.shape[0]) / sr


def encode(y: np.ndarray, path: str | Path, *, sr: int = SAMPLE_RATE, bitrate: str = "96k") -> Path:
    """Write a mono float32 signal to ``path``; the container/codec follows the suffix."""
    path = Path(path)
    cmd = [
        ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(sr),
        "-ac",
        "1",
        "-i",
        "pipe:0",
    ]
    if path.suffix == ".ogg":
        cmd += ["-c:a", "libvorbis", "-q:a", "4"]
    elif path.suffix not in {".wav", ".flac"}:
        cmd += ["-b:a", bitrate]
    cmd.append(str(path))
    subprocess.run(cmd, input=np.asarray(y, dtype="<f4").tobytes(), capture_output=True, check=True)
    return path
