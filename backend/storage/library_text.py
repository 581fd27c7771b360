"""What a library text search means, defined once for every database and the in-memory catalog.

A query matches a song when, after folding both (Unicode compatibility decomposition, accents
dropped, case folded, runs of whitespace made one space), it is a substring of the song's title,
artist or one of its tags. "beyonce" finds "Beyoncé", "EAT" finds "The Beatles", and a query
never spans two fields.

MongoDB's ``$text`` (whole stemmed words) is not used: the embedded database has no text index,
and the same search must mean the same thing wherever it runs. Each song stores its folded text
(``search_text``, written with every change of those fields); the database is asked one
literal ``$regex`` over it, and the in-memory catalog tests the same substring.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

SEARCHED = ("title", "artist", "tags")
"""The song fields a library search looks in."""

FIELD_BREAK = "\n"
"""Between fields in ``search_text``; a folded query never contains it."""


def fold(text: str) -> str:
    """``text`` as searches compare it: accents dropped, case folded, whitespace single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def song_text(*, title: str, artist: str, tags: Iterable[str]) -> str:
    """The folded text a song is searched by: its searched fields, one per line."""
    return FIELD_BREAK.join(fold(part) for part in (title, artist, *tags))


def needle(q: str | None) -> str:
    """The folded query; empty means "every song"."""
    return fold(q or "")


def matches(text: str, folded_query: str) -> bool:
    """Whether a song with folded text ``text`` answers the folded query (empty: always)."""
    return folded_query in text


def text_filter(q: str | None) -> dict[str, Any]:
    """The database filter for ``q``: a literal substring of ``search_text``, or ``{}``."""
    folded = needle(q)
    if not folded:
        return {}
    return {"search_text": {"$regex": re.escape(folded)}}
