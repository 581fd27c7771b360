"""MIDI-like note tracks -> mono audio at the pipeline's rate, with FluidSynth.

One ``Renderer`` per process holds a synthesiser with its soundfonts loaded once; each call
resets it, so renders are independent of one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.constants import SAMPLE_RATE
from model.errors import CoverscopeError

SOUNDFONT_DIRS = (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"))
SMALL_SOUNDFONT = "TimGM6mb.sf2"
FULL_SOUNDFONT = "FluidR3_GM.sf2"
DRUM_CHANNEL = 9
BLOCK = 256
"""Samples rendered between event checks; events snap to this grid (~12 ms)."""


class NoSoundfont(CoverscopeError):
    code = "no_soundfont"


@dataclass(frozen=True)
class Note:
    """A note in seconds: MIDI pitch, onset, offset, velocity (1-127)."""

    pitch: int
    start: float
    end: float
    velocity: int = 90


@dataclass
class Track:
    """Notes played by one General MIDI program (or the drum kit)."""

    program: int
    notes: list[Note] = field(default_factory=list)
    drums: bool = False
    volume: int = 100
    """MIDI channel volume (CC 7), the track's level in the mix."""
    pan: int = 64


def find_soundfonts(*, prefer_small: bool = False) -> list[Path]:
    """General MIDI soundfonts installed here, the preferred one first."""
    found = [p for d in SOUNDFONT_DIRS if d.is_dir() for p in sorted(d.glob("*.sf2"))]
    found = [p for p in found if p.resolve().is_file()]
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    order = [SMALL_SOUNDFONT, FULL_SOUNDFONT] if prefer_small else [FULL_SOUNDFONT, SMALL_SOUNDFONT]
    ranked = sorted(
        unique.values(), key=lambda p: order.index(p.name) if p.name in order else len(order)
    )
    if not ranked:
        raise NoSoundfont("no General MIDI soundfont (.sf2) found; install timgm6mb-soundfont")
    return ranked


class Renderer:
    """A FluidSynth synthesiser at ``sr`` Hz with one or more soundfonts loaded."""

    def __init__(self, soundfonts: list[Path], *, sr: int = SAMPLE_RATE, gain: float = 0.4) -> None:
        import fluidsynth

        self.sr = sr
        self.synth = fluidsynth.Synth(gain=gain, samplerate=float(sr))
        self.sfids = [self.synth.sfload(str(p)) for p in soundfonts]
        if any(i < 0 for i in self.sfids):
            raise NoSoundfont(f"FluidSynth could not load {soundfonts}")
        self.names = [p.name for p in soundfonts]

    def close(self) -> None:
        self.synth.delete()

    def render(
        self, tracks: list[Track], *, soundfont: int = 0, tail: float = 1.0, reverb: bool = True
    ) -> np.ndarray:
        """Play ``tracks`` with soundfont number ``soundfont``; mono float32 (n_samples,)."""
        synth = self.synth
        synth.system_reset()
        sfid = self.sfids[soundfont % len(self.sfids)]
        events: list[tuple[int, int, int, int, int]] = []  # sample, order, channel, key, vel
        melodic = [c for c in range(16) if c != DRUM_CHANNEL]
        for i, track in enumerate(tracks):
            if track.drums:
                chan = DRUM_CHANNEL
                synth.program_select(chan, sfid, 128, 0)
            else:
                chan = melodic[i % len(melodic)]
                synth.program_select(chan, sfid, 0, track.program)
            synth.cc(chan, 7, int(np.clip(track.volume, 0, 127)))
            synth.cc(chan, 10, int(np.clip(track.pan, 0, 127)))
            synth.cc(chan, 91, 40 if reverb else 0)
            for n in track.notes:
                if n.end <= n.start or not 0 <= n.pitch <= 127:
                    continue
                vel = int(np.clip(n.velocity, 1, 127))
                events.append((int(n.start * self.sr), 1, chan, n.pitch, vel))
                events.append((int(n.end * self.sr), 0, chan, n.pitch, 0))
        events.sort()
        end = (events[-1][0] if events else 0) + int(tail * self.sr)
        out = np.zeros(2 * (end + BLOCK), dtype=np.int16)
        pos = 0
        k = 0
        while pos < end:
            while k < len(events) and events[k][0] <= pos:
                _, on, chan, key, vel = events[k]
                if on:
                    synth.noteon(chan, key, vel)
                else:
                    synth.noteoff(chan, key)
                k += 1
            step = BLOCK if k >= len(events) else max(BLOCK, events[k][0] - pos)
            step = min(step, end - pos) if end > pos else BLOCK
            block = np.asarray(synth.get_samples(step), dtype=np.int16)
            out[2 * pos : 2 * pos + block.size] = block
            pos += step
        stereo = out[: 2 * end].astype(np.float32).reshape(-1, 2) / 32768.0
        result: np.ndarray = stereo.mean(axis=1).astype(np.float32)
        return result


_RENDERER: Renderer | None = None


def renderer() -> Renderer:
    """This process's synthesiser (soundfonts load once per process)."""
    global _RENDERER  # noqa: PLW0603 - a per-process cache
    if _RENDERER is None:
        _RENDERER = Renderer(find_soundfonts())
    return _RENDERER
