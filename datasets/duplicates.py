"""Is this the same recording? Band-energy fingerprints, duplicate clusters and title groups.

Two files are the *same recording* when they have (nearly) the same length and their log
band-energy envelopes correlate above ``SAME_RECORDING`` at the best small time offset: a
re-encode, a copy in another package or format. When the shorter one lies inside the longer
(an excerpt, a short mix), or the correlation is only above ``RELATED``, they are *related*:
kept, but put in one group so that a calibration never counts the pair as two songs. Tracks of one package whose titles differ only
by words such as ``short``, ``loop`` or a number (``theme``, ``theme_short``) are grouped too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from model.constants import SAMPLE_RATE

FP_FRAME = 4096
FP_BANDS = 24
FP_LOW_HZ, FP_HIGH_HZ = 60.0, 8000.0
FP_FLOOR_DECADES = 5.0
"""Band energies more than 50 dB below the loudest are floored: codecs differ there."""
FP_RATE = SAMPLE_RATE / FP_FRAME
"""Fingerprint frames per second (about 5.4)."""
FP_SECONDS = 120.0
"""Tracks are compared on their first two minutes (decoding more costs more than it tells)."""
FP_FRAMES = int(FP_SECONDS * FP_RATE)
SAME_RECORDING = 0.9
"""Envelope correlation from which two aligned tracks of one length are the same recording
(synthetic copies offset by part of a frame reach 0.87-0.92; re-encodes 0.98)."""
RELATED = 0.75
"""From here up, two tracks are related (a remix, an excerpt, a near copy): grouped, kept.
Different tunes over one chord loop and rhythm stay below 0.55."""
MAX_OFFSET_SECONDS = 4.0
"""Largest start offset tried between two copies of equal length."""
SAME_LENGTH_SECONDS = 2.0
PROFILE_MATCH = 0.97
"""Correlation of mean band profiles above which an excerpt search is worth running."""


def fingerprint(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Log band energies of non-overlapping frames, shape (n_frames, FP_BANDS), float32.

    Each band's log energy has the track's overall level removed, so a louder copy of the
    same recording gives the same fingerprint.
    """
    n = y.shape[0] // FP_FRAME
    frames = np.asarray(y[: n * FP_FRAME], dtype=np.float32).reshape(n, FP_FRAME)
    window = np.hanning(FP_FRAME).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    freqs = np.fft.rfftfreq(FP_FRAME, 1.0 / sr)
    edges = np.geomspace(FP_LOW_HZ, FP_HIGH_HZ, FP_BANDS + 1)
    which = np.digitize(freqs, edges) - 1
    bands = np.stack([power[:, which == b].sum(axis=1) for b in range(FP_BANDS)], axis=1)
    logs = np.log10(bands + 1e-9)
    result: np.ndarray = (logs - logs.mean()).astype(np.float32)
    return result


def condition(fp: np.ndarray) -> np.ndarray:
    """Floor a fingerprint ``FP_FLOOR_DECADES`` below its loudest band and re-centre it.

    Codecs disagree most in near-silent bands; flooring them makes copies agree.
    """
    if fp.size == 0:
        return fp
    f = np.maximum(fp, float(fp.max()) - FP_FLOOR_DECADES)
    if f.shape[0] >= 3:  # a light blur in time, so copies offset by part of a frame still agree
        f = np.concatenate([f[:1], 0.25 * f[:-2] + 0.5 * f[1:-1] + 0.25 * f[2:], f[-1:]])
    result: np.ndarray = (f - f.mean()).astype(np.float32)
    return result


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; for (frames, bands) arrays, of each band's movement over time.

    Removing each band's mean leaves how the music moves, not the spectral tilt that all
    recordings share, so only the same performance correlates highly.
    """
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / den) if den > 0 else 0.0


def best_alignment(short: np.ndarray, long: np.ndarray, lags: np.ndarray) -> tuple[float, int]:
    """Highest envelope correlation of ``short`` placed at each lag in ``long``: (corr, lag).

    Frames of ``short`` that fall outside ``long`` are left out.
    """
    best = (-1.0, 0)
    for lag in lags.tolist():
        a0, b0 = max(0, -lag), max(0, lag)
        n = min(short.shape[0] - a0, long.shape[0] - b0)
        if n < 10:
            continue
        c = _corr(short[a0 : a0 + n], long[b0 : b0 + n])
        if c > best[0]:
            best = (c, lag)
    return best


def _candidate_lags(short: np.ndarray, long: np.ndarray, *, keep: int = 5) -> np.ndarray:
    """Lags where the loudness contours line up best (a cheap search before the full test)."""
    s = short.mean(axis=1) - short.mean()
    g = long.mean(axis=1) - long.mean()
    scores = np.correlate(g, s, mode="valid")
    return np.argsort(scores)[::-1][:keep]


@dataclass(frozen=True)
class Relation:
    """How two fingerprinted tracks relate: ``same`` (a duplicate), ``related`` or None."""

    kind: str | None
    correlation: float


def relate(
    a: np.ndarray, b: np.ndarray, a_seconds: float | None = None, b_seconds: float | None = None
) -> Relation:
    """Compare two fingerprints (frames, bands) of tracks of 30 s or more.

    The fingerprints may cover only the tracks' openings (``FP_SECONDS``); the tracks'
    full durations then tell copies (same length) from excerpts.
    """
    a, b = condition(a[:FP_FRAMES]), condition(b[:FP_FRAMES])
    a_len = a.shape[0] / FP_RATE if a_seconds is None else a_seconds
    b_len = b.shape[0] / FP_RATE if b_seconds is None else b_seconds
    short, long = (a, b) if a.shape[0] <= b.shape[0] else (b, a)
    gap = abs(a_len - b_len)
    if gap <= SAME_LENGTH_SECONDS:
        reach = int(MAX_OFFSET_SECONDS * FP_RATE) + int(np.ceil(gap * FP_RATE))
        corr, _ = best_alignment(short, long, np.arange(-reach, reach + 1))
        kind = "same" if corr >= SAME_RECORDING else "related" if corr >= RELATED else None
        return Relation(kind, corr)
    if _corr(short.mean(axis=0), long.mean(axis=0)) < PROFILE_MATCH:
        return Relation(None, 0.0)
    corr, _ = best_alignment(short, long, _candidate_lags(short, long))
    return Relation("related" if corr >= RELATED else None, corr)


def profiles_close(a: np.ndarray, b: np.ndarray) -> bool:
    """Cheap pre-test on mean band profiles; pairs failing it cannot be the same recording."""
    return _corr(a.mean(axis=0), b.mean(axis=0)) >= PROFILE_MATCH


VARIANT_WORDS = frozenset(
    [
        "short",
        "long",
        "loop",
        "loops",
        "looped",
        "intro",
        "outro",
        "end",
        "ending",
        "start",
        "alt",
        "alternate",
        "alternative",
        "remix",
        "mix",
        "edit",
        "version",
        "ver",
        "v",
        "full",
        "instrumental",
        "inst",
        "part",
        "pt",
        "reprise",
        "extended",
        "ext",
        "lite",
        "light",
        "slow",
        "fast",
        "old",
        "new",
        "orig",
        "original",
        "final",
        "var",
        "variation",
        "a",
        "b",
        "c",
    ]
)
GENERIC_WORDS = frozenset(
    ["track", "music", "song", "tune", "level", "bgm", "mus", "audio", "sound", "soundtrack"]
)


def title_stem(name: str) -> str | None:
    """The title of a file name without version words and numbers, or None if nothing is left.

    ``Theme_Short`` and ``theme-loop2`` both give ``theme``; ``track07`` gives None (a
    numbered track says nothing about which tune it is).
    """
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    tokens = [re.sub(r"\d+$", "", t) for t in re.split(r"[^a-z0-9]+", spaced.lower())]
    kept = [t for t in tokens if t and not t.isdigit() and t not in VARIANT_WORDS]
    if not kept or all(t in GENERIC_WORDS for t in kept):
        return None
    return " ".join(kept)


class UnionFind:
    """Disjoint sets over hashable keys (clusters of duplicates, groups of related tracks)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def sets(self) -> list[list[str]]:
        out: dict[str, list[str]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return [sorted(v) for v in out.values()]
