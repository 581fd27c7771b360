"""The music21 corpus -> works, each with the tunes that are versions of it.

- Essen folk songs: tunes whose ``N:`` ids share a stem (E0001, E0001A, ...) are melodic
  variants of one song collected in different places: true covers.
- Bach chorales: harmonisations of the same chorale melody (same title) are one work.
- Tune books (O'Neill's 1850, Ryan's Mammoth, Aird's Airs, Nottingham) and lone Essen tunes
  and chorales are works with one source tune; their versions differ by arrangement only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from datasets.arrange import BeatNote, Tune

ESSEN_LICENCE = "Essen Folksong Collection via music21 corpus (research use; see music21 licence)"
BACH_LICENCE = "J.S. Bach chorales (public domain), encodings from the music21 corpus (BSD)"
TUNEBOOK_LICENCE = "public-domain tune book, ABC transcription from the music21 corpus (BSD)"
TUNE_BOOKS = ("oneills1850", "ryansMammoth", "airdsAirs", "nottingham-dataset")
ESSEN_SKIP = ("test",)
MAX_SAME_TITLE = 4
GENERIC_TITLE = re.compile(r"^(a-)?do$|^untitled|^air$|^irish-air$|^no-title|^tune$")
"""Essen files that are music21's own test excerpts."""


@dataclass(frozen=True)
class TuneRef:
    """Where one source tune lives: ABC text, or a music21 corpus name (chorales)."""

    abc: str | None = None
    corpus_name: str | None = None


@dataclass(frozen=True)
class WorkSpec:
    work_id: str
    source: str
    licence: str
    tunes: tuple[TuneRef, ...]
    """More than one tune means the source itself holds several versions (variants)."""


def corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def split_abc(text: str) -> list[str]:
    """The tunes of an ABC book, each starting at its ``X:`` line."""
    parts = re.split(r"(?m)^(?=X:)", text)
    return [p.strip() + "\n" for p in parts if p.startswith("X:")]


def _abc_field(tune: str, name: str) -> str:
    m = re.search(rf"(?m)^{name}:\s*(.*?)\s*$", tune)
    return m.group(1) if m else ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "untitled"


def essen_works() -> list[WorkSpec]:
    """Essen tunes grouped by the stem of their ``N:`` id within each file."""
    works = []
    for path in sorted((corpus_root() / "essenFolksong").glob("*.abc")):
        if path.stem.startswith(ESSEN_SKIP):
            continue
        groups: dict[str, list[str]] = defaultdict(list)
        for tune in split_abc(path.read_text(encoding="latin-1")):
            ident = _abc_field(tune, "N") or f"X{_abc_field(tune, 'X')}"
            groups[re.sub(r"[A-Z]+$", "", ident)].append(tune)
        for stem, tunes in groups.items():
            works.append(
                WorkSpec(
                    work_id=f"essen:{path.stem}:{stem}",
                    source="music21-essen" if len(tunes) == 1 else "music21-essen-variants",
                    licence=ESSEN_LICENCE,
                    tunes=tuple(TuneRef(abc=t) for t in tunes),
                )
            )
    return works


def tunebook_works() -> list[WorkSpec]:
    """The tunes of the ABC tune books; within a book, tunes of one title are one work.

    O'Neill's files overlap and hold some tunes twice, transcribed by different people, so
    a title seen 2-4 times in a book is one work with those transcriptions as its variants.
    Generic titles ("Air", "A Do.", "Untitled") and titles seen more often stay separate.
    """
    works = []
    for book in TUNE_BOOKS:
        by_title: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for path in sorted((corpus_root() / book).glob("*.abc")):
            for tune in split_abc(path.read_text(encoding="latin-1")):
                slug = _slug(_abc_field(tune, "T"))
                by_title[slug].append((f"{path.stem}:{_abc_field(tune, 'X')}", tune))
        for slug, tunes in sorted(by_title.items()):
            if 2 <= len(tunes) <= MAX_SAME_TITLE and not GENERIC_TITLE.search(slug):
                groups = [tunes]
            else:
                groups = [[t] for t in tunes]
            for group in groups:
                where = group[0][0] if len(group) == 1 else "title"
                works.append(
                    WorkSpec(
                        work_id=f"{book}:{where}:{slug}",
                        source=f"music21-{book}" + ("-variants" if len(group) > 1 else ""),
                        licence=TUNEBOOK_LICENCE,
                        tunes=tuple(TuneRef(abc=t) for _, t in group),
                    )
                )
    return works


def chorale_works() -> list[WorkSpec]:
    """Bach's chorales grouped by melody (title); each BWV is one harmonisation."""
    from music21.corpus import chorales

    groups: dict[str, list[str]] = defaultdict(list)
    for info in chorales.ChoraleListRKBWV().byRiemenschneider.values():  # type: ignore[no-untyped-call]
        groups[str(info["title"])].append(f"bach/bwv{info['bwv']}")
    return [
        WorkSpec(
            work_id=f"bach-chorale:{_slug(title)}",
            source="music21-bach-chorales" if len(names) > 1 else "music21-bach-chorale",
            licence=BACH_LICENCE,
            tunes=tuple(TuneRef(corpus_name=n) for n in sorted(set(names))),
        )
        for title, names in sorted(groups.items())
    ]


def _notes(stream: object) -> list[BeatNote]:
    """Monophonic line of a music21 stream in beats (top note of any chord), ties merged."""
    from music21 import chord, note

    out = []
    for n in stream.stripTies().flatten().notes:  # type: ignore[attr-defined]
        ql = float(n.quarterLength)
        if ql <= 0:
            continue
        if isinstance(n, note.Note):
            pitch = n.pitch.midi
        elif isinstance(n, chord.Chord) and not hasattr(n, "figure"):
            pitch = max(p.midi for p in n.pitches)
        else:
            continue
        start = float(n.getOffsetInHierarchy(stream))
        out.append(BeatNote(int(pitch), start, start + ql))
    return sorted(out, key=lambda b: b.start)


def to_tune(ref: TuneRef) -> Tune:
    """Parse one source tune with music21 into a ``Tune``."""
    from music21 import converter, corpus, key, meter

    if ref.abc is not None:
        score = converter.parse(ref.abc, format="abc")
    else:
        score = corpus.parse(str(ref.corpus_name))
    parts = list(getattr(score, "parts", [])) or [score]
    melody = _notes(parts[0])
    others = [_notes(p) for p in parts[1:]]
    flat = score.flatten()
    keys = list(flat.getElementsByClass(key.Key))
    if keys:
        k = keys[0]
    else:
        sigs = list(flat.getElementsByClass(key.KeySignature))
        k = sigs[0].asKey() if sigs else score.analyze("key")
    metres = list(flat.getElementsByClass(meter.TimeSignature))
    bar = float(metres[0].barDuration.quarterLength) if metres else 4.0
    # Shift so the first onset is beat 0 (pick-ups and offsets in parts).
    first = min((n.start for n in melody), default=0.0)
    melody = [BeatNote(n.pitch, n.start - first, n.end - first) for n in melody]
    others = [[BeatNote(n.pitch, n.start - first, n.end - first) for n in p] for p in others]
    return Tune(
        melody=melody,
        beats_per_bar=bar if 1.0 <= bar <= 8.0 else 4.0,
        tonic=k.tonic.pitchClass,
        minor=k.mode == "minor",
        parts=[p for p in others if p],
    )
