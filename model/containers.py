"""Which audio container a file is, told from its first bytes against an allow-list.

ffmpeg guesses a format by probing, and some formats it can guess (HLS playlists, ffconcat,
image sequences) make it open other files named inside the upload. So the container is sniffed
here from the bytes and handed to ffmpeg explicitly (``-f``): nothing outside ``DEMUXERS`` is
ever opened, and the name of an uploaded file plays no part.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

DEMUXERS = {
    "mp3": "MP3",
    "aac": "AAC (ADTS)",
    "ogg": "Ogg (Vorbis, Opus, FLAC)",
    "flac": "FLAC",
    "wav": "WAV",
    "mov": "MP4/M4A",
    "matroska": "WebM/Matroska",
}
"""ffmpeg demuxer name -> what users call it; the only containers we decode."""

ACCEPTED = ", ".join(DEMUXERS.values())
MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"}
"""First box types of an ISO-BMFF/QuickTime file."""
HEAD = 64


def _id3_size(head: bytes) -> int:
    """Bytes taken by a leading ID3v2 tag (0 if none): header, syncsafe size, footer."""
    if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    return 10 + size + (10 if head[5] & 0x10 else 0)


SIGNATURES: tuple[tuple[str, Callable[[bytes], bool]], ...] = (
    ("flac", lambda h: h[:4] == b"fLaC"),
    ("ogg", lambda h: h[:4] == b"OggS"),
    ("wav", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WAVE"),
    ("mov", lambda h: h[4:8] in MP4_BOXES),
    ("matroska", lambda h: h[:4] == b"\x1a\x45\xdf\xa3"),
    # ADTS: a 12-bit sync then layer 00.
    ("aac", lambda h: len(h) >= 2 and h[0] == 0xFF and h[1] & 0xF6 == 0xF0),
    # An MPEG audio frame: an 11-bit sync then layer I, II or III.
    ("mp3", lambda h: len(h) >= 2 and h[0] == 0xFF and h[1] & 0xE0 == 0xE0 and h[1] & 0x06 != 0),
)
"""Each accepted demuxer and how its files begin, tried in order."""


def sniff(head: bytes) -> str | None:
    """The demuxer for a file starting with ``head`` (after any ID3 tag), or ``None``."""
    return next((name for name, matches in SIGNATURES if matches(head)), None)


def container_of(path: Path) -> str | None:
    """The demuxer of the file at ``path`` if it is an accepted audio container, else ``None``."""
    with path.open("rb") as f:
        head = f.read(HEAD)
        skip = _id3_size(head)
        if not skip:
            return sniff(head)
        f.seek(skip)
        after = f.read(HEAD)
    # An ID3 tag then no recognisable frame: let the MP3 demuxer look for one.
    return sniff(after) or "mp3"
