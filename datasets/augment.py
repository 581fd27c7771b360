"""Audio transformations that keep the song and change the recording (pedalboard).

Positives for self-supervised training: pitch shift, time stretch, EQ, reverb, noise, lossy
codec and crop. Each function takes a mono float32 signal and a seeded generator and returns
the new signal with a short description of what was done.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.constants import SAMPLE_RATE


def _board(effects: list[Any]) -> Any:
    import pedalboard

    # pedalboard's bundled stubs do not re-export Pedalboard, though the package does.
    return pedalboard.Pedalboard(effects)  # type: ignore[attr-defined]


def colour(
    y: np.ndarray, rng: np.random.Generator, *, sr: int = SAMPLE_RATE
) -> tuple[np.ndarray, list[str]]:
    """A random mix of EQ, compression, reverb and noise (the 'room and desk' of a recording)."""
    import pedalboard as pb

    effects: list[Any] = []
    done = []
    if rng.random() < 0.6:
        low, high = float(rng.uniform(-9, 6)), float(rng.uniform(-12, 6))
        effects += [pb.LowShelfFilter(250.0, low), pb.HighShelfFilter(3000.0, high)]
        done.append(f"eq {low:+.0f}/{high:+.0f} dB")
    if rng.random() < 0.3:
        cutoff = float(rng.uniform(2500, 8000))
        effects.append(pb.LowpassFilter(cutoff))
        done.append(f"lowpass {cutoff:.0f} Hz")
    if rng.random() < 0.3:
        effects.append(pb.Compressor(threshold_db=-20.0, ratio=4.0))
        done.append("compressor")
    if rng.random() < 0.4:
        room = float(rng.uniform(0.2, 0.9))
        effects.append(pb.Reverb(room_size=room, wet_level=float(rng.uniform(0.1, 0.4))))
        done.append(f"reverb {room:.1f}")
    out = np.asarray(y, dtype=np.float32)
    if effects:
        out = _board(effects)(out[np.newaxis, :], sr)[0]
    if rng.random() < 0.35:
        snr = float(rng.uniform(15, 40))
        power = float(np.mean(out**2)) or 1e-8
        noise = rng.normal(0, np.sqrt(power / 10 ** (snr / 10)), out.shape)
        out = (out + noise).astype(np.float32)
        done.append(f"noise {snr:.0f} dB SNR")
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 0:
        out = out * (0.9 / peak)
    return out.astype(np.float32), done


def retune(
    y: np.ndarray,
    *,
    semitones: float = 0.0,
    rate: float = 1.0,
    sr: int = SAMPLE_RATE,
) -> np.ndarray:
    """Pitch-shift by ``semitones`` and speed up by ``rate`` (> 1 is faster), Rubber Band."""
    if semitones == 0 and rate == 1.0:
        return np.asarray(y, dtype=np.float32)
    import pedalboard

    out = pedalboard.time_stretch(
        np.asarray(y, dtype=np.float32)[np.newaxis, :],
        float(sr),
        stretch_factor=float(rate),
        pitch_shift_in_semitones=float(semitones),
        # Rubber Band's R2 engine: 3x faster than R3 here; its artefacts are one more change.
        high_quality=False,
    )
    return np.asarray(out[0], dtype=np.float32)


def codec(y: np.ndarray, rng: np.random.Generator, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A pass through a low-bitrate MP3 encoder (LAME VBR quality 4-9)."""
    import pedalboard

    quality = float(rng.uniform(4, 9))
    board = _board([pedalboard.MP3Compressor(vbr_quality=quality)])
    return np.asarray(board(np.asarray(y, np.float32)[np.newaxis, :], sr)[0], dtype=np.float32)


def crop(y: np.ndarray, start: float, seconds: float, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The window [start, start + seconds) in seconds, clipped to the signal."""
    a = int(max(start, 0.0) * sr)
    return np.asarray(y[a : a + int(seconds * sr)], dtype=np.float32)


def cover_like(
    y: np.ndarray, rng: np.random.Generator, *, sr: int = SAMPLE_RATE
) -> tuple[np.ndarray, str]:
    """A random 'other recording' of ``y``: key, tempo, colour and codec all may change."""
    done = []
    semitones = 0 if rng.random() < 0.2 else int(rng.choice([-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6]))
    rate = 1.0 if rng.random() < 0.2 else float(rng.uniform(0.8, 1.25))
    out = retune(y, semitones=semitones, rate=rate, sr=sr)
    if semitones:
        done.append(f"pitch {semitones:+d} st")
    if rate != 1.0:
        done.append(f"tempo x{rate:.2f}")
    out, coloured = colour(out, rng, sr=sr)
    done += coloured
    if rng.random() < 0.3:
        out = codec(out, rng, sr=sr)
        done.append("mp3")
    return out, ", ".join(done) or "identity"
