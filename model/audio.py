"""Decode any audio file ffmpeg understands to mono float32 at the pipeline's sample rate.

Essentia's own loaders cannot read opus/webm and a second such failure in one process can
abort it, so every decode goes through the ffmpeg binary shipped by ``imageio-ffmpeg`` in a
child process: a broken file can only ever fail that child.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

import numpy as np

from model.constants import SAMPLE_RATE
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
) -> np.ndarray:
    """Decode ``path`` to a mono float32 signal of shape (n_samples,) at ``sr`` Hz.

    ``offset`` and ``max_seconds`` select a window (seconds). Raises ``UndecodableAudio``
    for a missing file, a file that is not audio, or one shorter than ``MIN_SECONDS``.
    """
    path = Path(path)
    if not path.is_file():
        raise UndecodableAudio(f"{path.name}: no such file")
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if offset > 0:
        cmd += ["-ss", f"{offset:.3f}"]
    cmd += ["-i", str(path), "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sr)]
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
