"""Library pages: list, filter by text, sort and page the songs.

When the vector index's snapshot is current (its library version equals the database's, one
point lookup), pages come from its in-memory catalog, sorted like the database would.
Otherwise (a change not yet loaded) the query runs in the database, cached per library version.
Either way a query means what ``backend.storage.library_text`` says: a folded substring of a
song's title, artist or a tag.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache

from backend.search.snapshot import Snapshot
from backend.search.vector_index import VectorIndex
from backend.storage.documents import Song
from backend.storage.library_text import matches, needle
from backend.storage.song_repository import SongRepository

Page = tuple[list[Song], int]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _sort_key(field: str) -> Any:
    if field == "duration":
        return lambda d: (d.get("duration") is not None, d.get("duration") or 0.0, d["_id"])
    if field == "created_at":
        return lambda d: (d.get("created_at") or EPOCH, d["_id"])
    return lambda d: (str(d.get(field) or ""), d["_id"])


def page_from_catalog(
    snap: Snapshot, q: str | None, *, page: int, per_page: int, sort: str, order: str
) -> Page:
    key = (sort, order)
    if key not in snap.orders:
        positions = sorted(
            range(len(snap.catalog)),
            key=lambda i: _sort_key(sort)(snap.catalog[i]),
            reverse=order == "desc",
        )
        snap.orders[key] = positions
    ordered = (snap.catalog[i] for i in snap.orders[key])
    folded = needle(q)
    rows = [d for d in ordered if matches(d["search_text"], folded)] if folded else None
    if rows is None:
        start = (page - 1) * per_page
        chosen = [snap.catalog[i] for i in snap.orders[key][start : start + per_page]]
        return chosen, len(snap.catalog)
    return rows[(page - 1) * per_page : page * per_page], len(rows)


class Listing:
    """Pages of the library, from ``index``'s catalog when current, else from the database."""

    def __init__(self, songs: SongRepository, index: VectorIndex, *, size: int = 512) -> None:
        self.songs = songs
        self.index = index
        self.size = size
        self._pages: LRUCache[tuple[Any, ...], Page] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def page(self, q: str | None, *, page: int, per_page: int, sort: str, order: str) -> Page:
        """Page ``page`` of the songs matching ``q`` (all when empty), and how many match."""
        version = self.songs.version()
        snap = self.index.snapshot()
        if snap.version == version:
            return page_from_catalog(snap, q, page=page, per_page=per_page, sort=sort, order=order)
        key = (version, needle(q), page, per_page, sort, order)
        with self._lock:
            cached = self._pages.get(key)
        if cached is not None:
            return cached
        found = self.songs.find_page(q, page=page, per_page=per_page, sort=sort, order=order)
        with self._lock:
            self._pages[key] = found
        return found
