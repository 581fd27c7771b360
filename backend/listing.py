"""Library pages, cached per library version.

Listing and searching run as database queries (``SongRepository.search``); identical queries
between two library changes are answered from a small LRU keyed by the library version, so
a UI polling the same page, or many users on page 1, cost one query per change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from backend.repository import SongRepository

Page = tuple[list[dict[str, Any]], int]


class Listing:
    def __init__(self, songs: SongRepository, *, size: int = 512) -> None:
        self.songs = songs
        self.size = size
        self._pages: OrderedDict[tuple[Any, ...], Page] = OrderedDict()
        self._lock = threading.Lock()

    def search(self, q: str | None, *, page: int, per_page: int, sort: str, order: str) -> Page:
        key = (self.songs.version(), (q or "").strip().lower(), page, per_page, sort, order)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        found = self.songs.search(q, page=page, per_page=per_page, sort=sort, order=order)
        with self._lock:
            self._pages[key] = found
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        return found
