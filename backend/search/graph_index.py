"""The library's neighbour graph in memory (``model.library.LibraryGraph``), kept current.

Loaded once from the ``edges`` collection, then kept in step by replaying the change records
(``EdgeRepository``) written after the version it holds: one point lookup per change, so a song
added to a 100k-song library costs each API process a couple of documents, not a reload. A
missing record (trimmed, or its writer died between the counter and the record) or a ``reset``
reloads the whole graph. Like ``VectorIndex``, a daemon thread polls every ``check_every``
seconds; ``check_every=0`` checks synchronously on every read (tests, the worker).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from backend.search.poller import Poller
from backend.storage.edge_repository import EdgeRepository, StoredEdge
from model.library import Edge, LibraryGraph

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_REPLAY = 5000
"""More changes than this since the loaded version: reload instead of replaying them."""
MISSING_GRACE_S = 5.0
"""A change record still missing after this long is taken as lost: reload."""


def edge_of(target: str, stored: StoredEdge) -> Edge:
    return Edge(target=target, fused=float(stored["fused"]), components=dict(stored["components"]))


def load_graph(edges: EdgeRepository) -> LibraryGraph:
    """The whole stored graph (symmetric: an edge either document holds is an edge)."""
    graph = LibraryGraph()
    for doc in edges.documents():
        graph.add(doc["_id"], [(o, edge_of(o, e)) for o, e in doc["neighbours"].items()])
    return graph


class GraphIndex:
    """Thread-safe in-memory view of the stored graph; ``read`` runs a function on it."""

    def __init__(self, edges: EdgeRepository, *, check_every: float = 0.2) -> None:
        self.repo = edges
        self.check_every = check_every
        self._graph: LibraryGraph | None = None
        self._version = -1
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._missing_since: float | None = None
        self._poller = Poller(self.refresh, every=check_every, name="graph-poller")

    @property
    def version(self) -> int:
        """The stored graph version this view holds (-1 before the first load)."""
        return self._version

    def sync(self) -> int:
        """Load on first use (and, with ``check_every=0``, catch up); the version held."""
        if self._graph is None or self.check_every <= 0:
            self.refresh()
            self._poller.start()
        return self._version

    def read(self, fn: Callable[[LibraryGraph], T]) -> T:
        """``fn(graph)`` under the lock (no change is applied while it runs); keep it short."""
        self.sync()
        with self._lock:
            assert self._graph is not None
            return fn(self._graph)

    def refresh(self) -> bool:
        """Catch up with the stored graph; returns whether anything changed."""
        current = self.repo.version()
        if self._graph is not None and current == self._version:
            return False
        with self._refreshing:
            return self._catch_up(current)

    def _catch_up(self, current: int) -> bool:
        if self._graph is not None and current == self._version:
            return False
        if self._graph is None or current - self._version > MAX_REPLAY or current < self._version:
            self._reload(current)
            return True
        return self._replay(current)

    def _reload(self, version: int) -> None:
        started = time.perf_counter()
        graph = load_graph(self.repo)
        with self._lock:
            self._graph, self._version = graph, version
        self._missing_since = None
        log.info(
            "graph index: %d songs loaded in %.2f s", len(graph), time.perf_counter() - started
        )

    def _replay(self, current: int) -> bool:
        changed = False
        for seq in range(self._version + 1, current + 1):
            change = self.repo.change(seq)
            if change is None:
                waited = time.monotonic() - (self._missing_since or time.monotonic())
                if self._missing_since is None:
                    self._missing_since = time.monotonic()
                if waited > MISSING_GRACE_S:
                    self._reload(current)
                    return True
                return changed
            self._missing_since = None
            if change["op"] == "reset":
                self._reload(current)
                return True
            song = change["song"]
            assert song is not None
            stored = self.repo.neighbours(song) if change["op"] == "link" else {}
            with self._lock:
                assert self._graph is not None
                self._graph.remove(song)
                if change["op"] == "link":
                    self._graph.add(song, [(o, edge_of(o, e)) for o, e in stored.items()])
                self._version = seq
            changed = True
        return changed
