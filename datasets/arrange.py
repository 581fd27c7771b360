"""A tune (melody, metre, key, optional harmony) -> one arrangement of it as note tracks.

Versions of one work differ the way covers do: key, tempo, instruments, accompaniment
pattern, drums, octave, melody doubled or dropped, how many times it is played and from where.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from datasets.render import Note, Track

MAJOR_TRIADS = ((0, 4, 7), (2, 5, 9), (4, 7, 11), (5, 9, 0), (7, 11, 2), (9, 0, 4))
MINOR_TRIADS = ((0, 3, 7), (5, 8, 0), (7, 11, 2), (8, 0, 3), (3, 7, 10), (10, 2, 5))
TRIAD_PRIOR = (0.3, 0.0, -0.1, 0.15, 0.2, 0.05)
"""A small preference for tonic, dominant and subdominant when the melody is ambiguous."""

MELODY_PROGRAMS = (0, 4, 6, 11, 16, 21, 22, 24, 25, 26, 40, 41, 52, 56, 64, 65, 68, 71, 73, 80, 81)
CHORD_PROGRAMS = (0, 1, 2, 4, 5, 16, 19, 24, 25, 27, 46, 48, 49, 50, 61, 88, 89, 95)
BASS_PROGRAMS = (32, 33, 34, 35, 38, 42, 43, 58)
VOICE_PROGRAMS = (19, 48, 52, 0, 42, 60, 70, 71, 68)


class Accompaniment(StrEnum):
    NONE = "none"
    BLOCK = "block"
    ARPEGGIO = "arpeggio"
    BASS_CHORDS = "bass+chords"
    PAD = "pad"
    PARTS = "parts"
    """The source's own other voices (a chorale's harmonisation)."""


@dataclass(frozen=True)
class BeatNote:
    """A note in quarter-note beats."""

    pitch: int
    start: float
    end: float


@dataclass
class Tune:
    melody: list[BeatNote]
    beats_per_bar: float = 4.0
    tonic: int = 0
    """Pitch class of the key's tonic, C = 0."""
    minor: bool = False
    parts: list[list[BeatNote]] = field(default_factory=list)

    @property
    def length(self) -> float:
        """Beats from the first onset to the last offset."""
        notes = self.melody + [n for p in self.parts for n in p]
        return max((n.end for n in notes), default=0.0)


@dataclass(frozen=True)
class Arrangement:
    transpose: int
    tempo: float
    """Quarter notes per minute."""
    melody_program: int | None
    """None drops the melody (a backing-track version)."""
    melody_octave: int
    double_program: int | None
    accompaniment: Accompaniment
    chord_program: int
    bass_program: int
    drums: bool
    repeats: int
    start_bar: int
    soundfont: int
    swing: float

    def describe(self) -> str:
        mel = "no melody" if self.melody_program is None else f"mel {self.melody_program}"
        if self.double_program is not None:
            mel += f"+{self.double_program}"
        return (
            f"{self.transpose:+d} st, {self.tempo:.0f} bpm, {mel}, oct {self.melody_octave:+d}, "
            f"{self.accompaniment.value} ({self.chord_program}/{self.bass_program})"
            f"{', drums' if self.drums else ''}, x{self.repeats} from bar {self.start_bar}, "
            f"sf{self.soundfont}"
        )


def sample_arrangement(
    rng: np.random.Generator,
    tune: Tune,
    *,
    base_tempo: float,
    n_soundfonts: int,
    seconds: tuple[float, float] = (20.0, 45.0),
) -> Arrangement:
    """Draw one arrangement of ``tune``; ``base_tempo`` is the work's own tempo."""
    tempo = float(base_tempo * rng.uniform(0.75, 1.3))
    styles = [Accompaniment.NONE, Accompaniment.BLOCK, Accompaniment.ARPEGGIO]
    styles += [Accompaniment.BASS_CHORDS, Accompaniment.PAD]
    weights = [0.12, 0.22, 0.22, 0.28, 0.16]
    if tune.parts:
        styles.append(Accompaniment.PARTS)
        weights = [w * 0.5 for w in weights] + [0.5]
    acc = styles[rng.choice(len(styles), p=np.asarray(weights) / sum(weights))]
    drop_melody = acc is not Accompaniment.NONE and rng.random() < 0.08
    tune_seconds = max(tune.length, 1.0) * 60.0 / tempo
    target = rng.uniform(*seconds)
    repeats = int(np.clip(round(target / tune_seconds), 1, 8))
    bars = max(1, int(tune.length // tune.beats_per_bar))
    start_bar = int(rng.integers(1, bars // 2 + 1)) if bars > 2 and rng.random() < 0.25 else 0
    return Arrangement(
        transpose=0 if rng.random() < 0.3 else int(rng.integers(-5, 7)),
        tempo=tempo,
        melody_program=None if drop_melody else int(rng.choice(MELODY_PROGRAMS)),
        melody_octave=int(rng.choice([-1, 0, 0, 0, 1])),
        double_program=int(rng.choice(MELODY_PROGRAMS)) if rng.random() < 0.2 else None,
        accompaniment=acc,
        chord_program=int(rng.choice(CHORD_PROGRAMS)),
        bass_program=int(rng.choice(BASS_PROGRAMS)),
        drums=bool(rng.random() < 0.4),
        repeats=repeats,
        start_bar=start_bar,
        soundfont=int(rng.integers(n_soundfonts)),
        swing=float(rng.choice([0.0, 0.0, 0.0, 0.1])),
    )


def harmonise(tune: Tune, *, span: float) -> list[tuple[float, tuple[int, ...]]]:
    """One diatonic triad per ``span`` beats, the one that best covers the melody there.

    Returns (start beat, pitch classes) pairs; pitch classes are absolute (C = 0).
    """
    triads = MINOR_TRIADS if tune.minor else MAJOR_TRIADS
    n_spans = max(1, math.ceil(tune.length / span))
    weight = np.zeros((n_spans, 12))
    for n in tune.melody:
        first, last = int(n.start // span), int(max(n.start, n.end - 1e-6) // span)
        for s in range(first, min(last, n_spans - 1) + 1):
            overlap = min(n.end, (s + 1) * span) - max(n.start, s * span)
            weight[s, n.pitch % 12] += max(overlap, 0.0)
    out = []
    previous = 0
    for s in range(n_spans):
        rel = np.roll(weight[s], -tune.tonic)
        total = rel.sum() or 1.0
        scores = [
            sum(rel[pc] for pc in triad) / total + TRIAD_PRIOR[i] + (0.1 if i == previous else 0.0)
            for i, triad in enumerate(triads)
        ]
        previous = int(np.argmax(scores))
        out.append((s * span, tuple((pc + tune.tonic) % 12 for pc in triads[previous])))
    return out


def _place(pc: int, low: int) -> int:
    """The lowest MIDI pitch of class ``pc`` at or above ``low``."""
    return low + (pc - low) % 12


def arrange(
    tune: Tune, arr: Arrangement, rng: np.random.Generator, *, max_seconds: float = 120.0
) -> list[Track]:
    """Note tracks (in seconds) for ``tune`` played as ``arr``, cut at ``max_seconds``.

    ``rng`` adds human timing and velocity.
    """
    bar = tune.beats_per_bar
    span = bar if bar <= 3 or rng.random() < 0.6 else bar / 2
    chords = harmonise(tune, span=span)
    length = math.ceil(tune.length / bar) * bar if tune.length > 0 else bar
    start = arr.start_bar * bar
    sec = 60.0 / arr.tempo
    # The melody sits near C5 whatever the key; octave shifts move it from there.
    centre = np.median([n.pitch for n in tune.melody]) if tune.melody else 72
    shift = arr.transpose + 12 * arr.melody_octave + 12 * round((72 - centre) / 12)

    def timeline(beat: float) -> float | None:
        """Seconds of a tune beat in every repeat, excerpted from ``start``; None if cut."""
        t = (beat - start) * sec
        return None if beat < start or t >= max_seconds else t

    total = min((arr.repeats * length - start) * sec, max_seconds)
    tracks: list[Track] = []

    def repeat(notes: list[BeatNote], offset: int, program: int, volume: int) -> Track:
        track = Track(program=program, volume=volume, pan=int(rng.integers(30, 98)))
        for r in range(arr.repeats):
            for n in notes:
                beat = n.start + r * length
                if (t := timeline(beat)) is None:
                    continue
                swing = arr.swing * sec if (n.start * 2) % 2 == 1 else 0.0
                jitter = float(rng.normal(0, 0.008))
                dur = (n.end - n.start) * sec * 0.95
                vel = int(np.clip(rng.normal(88, 10), 40, 120))
                onset = max(0.0, t + swing + jitter)
                track.notes.append(Note(n.pitch + offset, onset, onset + dur, vel))
        return track

    if arr.melody_program is not None:
        tracks.append(repeat(tune.melody, shift, arr.melody_program, 110))
        if arr.double_program is not None:
            tracks.append(repeat(tune.melody, shift - 12, arr.double_program, 80))

    acc = arr.accompaniment
    if acc is Accompaniment.PARTS and tune.parts:
        for i, part in enumerate(tune.parts):
            program = VOICE_PROGRAMS[(arr.chord_program + i) % len(VOICE_PROGRAMS)]
            tracks.append(repeat(part, arr.transpose, program, 85))
    elif acc is not Accompaniment.NONE and acc is not Accompaniment.PARTS:
        chord_notes: list[BeatNote] = []
        bass_notes: list[BeatNote] = []
        for i, (beat, pcs) in enumerate(chords):
            end = chords[i + 1][0] if i + 1 < len(chords) else max(length, beat + span)
            pcs_t = [(pc + arr.transpose) % 12 for pc in pcs]
            voiced = sorted(_place(pc, 53) for pc in pcs_t)
            root = _place(pcs_t[0], 36)
            if acc is Accompaniment.BLOCK:
                step = 1.0 if rng.random() < 0.5 else end - beat
                b = beat
                while b < end - 1e-6:
                    chord_notes += [BeatNote(p, b, min(b + step, end)) for p in voiced]
                    b += step
            elif acc is Accompaniment.PAD:
                chord_notes += [BeatNote(p, beat, end) for p in voiced]
                bass_notes.append(BeatNote(root, beat, end))
            elif acc is Accompaniment.ARPEGGIO:
                cycle = [*voiced, voiced[0] + 12, voiced[1] + 12 if len(voiced) > 1 else voiced[0]]
                b, k = beat, 0
                while b < end - 1e-6:
                    chord_notes.append(BeatNote(cycle[k % len(cycle)], b, min(b + 0.5, end)))
                    b, k = b + 0.5, k + 1
            else:
                fifth = root + 7
                b, k = beat, 0
                while b < end - 1e-6:
                    bass_notes.append(BeatNote(root if k % 2 == 0 else fifth, b, min(b + 1, end)))
                    if k % 2 == 1 or bar == 3:
                        chord_notes += [BeatNote(p, b, min(b + 0.9, end)) for p in voiced]
                    b, k = b + 1.0, k + 1
        if chord_notes:
            tracks.append(repeat(chord_notes, 0, arr.chord_program, 75))
        if bass_notes:
            tracks.append(repeat(bass_notes, 0, arr.bass_program, 95))

    if arr.drums:
        drums = Track(program=0, drums=True, volume=70)
        beat = 0.0
        while beat * sec < total:
            t = beat * sec
            pos = beat % bar
            drums.notes.append(Note(42, t, t + 0.05, 60))
            drums.notes.append(Note(42, t + sec / 2, t + sec / 2 + 0.05, 45))
            if pos == 0:
                drums.notes.append(Note(36, t, t + 0.1, 100))
            elif (bar >= 4 and pos % 2 == 1) or (bar < 4 and pos == 1):
                drums.notes.append(Note(38, t, t + 0.1, 85))
            beat += 1.0
        tracks.append(drums)
    return tracks
