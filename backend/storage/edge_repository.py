"""EdgeRepository: the only code that reads or writes the neighbour graph (pymongo).

The ``edges`` collection holds one document per song: its id, and its neighbours with each
edge's fused score, raw components and the stamp (scorer and embedding model) that scored it.
An edge is stored in both songs' documents, so every read and write is a point lookup by
``_id`` (no secondary index is needed on the hot paths; ``neighbours`` keys are song ids).

Every change appends a record to ``graph_changes`` under a sequence number taken from the
``graph`` counter in ``meta``: the in-memory graphs of the API processes
(``backend.search.graph_index``) replay the records they have not seen, so one song's change
costs a reader one document, not the whole graph.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, TypedDict

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database

from backend.storage.db import guarded, now

KEEP_CHANGES = 10_000
"""Change records kept (more than ``graph_index.MAX_REPLAY``); older ones are trimmed."""
TRIM_EVERY = 1000

ChangeOp = Literal["link", "remove", "reset"]
"""``link``: re-read the song's document; ``remove``: the song left; ``reset``: reload all."""


class StoredEdge(TypedDict):
    """One edge as a song's document holds it."""

    fused: float
    components: dict[str, float]
    stamp: str
    """``<scorer version>|<embedding model version>`` that scored it."""


class SongEdges(TypedDict):
    """A song's document in ``edges``."""

    _id: str
    neighbours: dict[str, StoredEdge]


class Change(TypedDict):
    _id: int
    op: ChangeOp
    song: str | None


def graph_stamp(*, scorer_version: str, model_version: str) -> str:
    """What an edge's score depends on: a different stamp means the graph needs rescoring."""
    return f"{scorer_version}|{model_version}"


class EdgeRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.edges: Collection[SongEdges] = db["edges"]
        self.changes: Collection[Change] = db["graph_changes"]
        self.meta: Collection[dict[str, Any]] = db["meta"]

    @guarded
    def ensure_indexes(self) -> None:
        """Nothing beyond ``_id``: every query of these collections is a point lookup."""

    # -- reads -----------------------------------------------------------------------------
    @guarded
    def neighbours(self, song_id: str) -> dict[str, StoredEdge]:
        doc = self.edges.find_one({"_id": song_id})
        return dict(doc["neighbours"]) if doc else {}

    @guarded
    def documents(self) -> Iterator[SongEdges]:
        """Every song's edges document (a full load)."""
        yield from self.edges.find({}, batch_size=2000)

    @guarded
    def version(self) -> int:
        doc = self.meta.find_one({"_id": "graph"})
        return int(doc["version"]) if doc else 0

    @guarded
    def change(self, seq: int) -> Change | None:
        return self.changes.find_one({"_id": seq})

    @guarded
    def stamp(self) -> str | None:
        """The stamp the whole graph was last (re)built with; ``None`` before the first build."""
        doc = self.meta.find_one({"_id": "graph"})
        return None if doc is None else doc.get("stamp")

    # -- writes ----------------------------------------------------------------------------
    @guarded
    def link(self, song_id: str, edges: Mapping[str, StoredEdge]) -> None:
        """Store ``song_id``'s ``edges`` (neighbour id -> edge) in both directions; edges it
        already had to other songs stay (a rebuild sweeps stale ones, ``drop_stale``)."""
        if edges:
            fields = {f"neighbours.{other}": edge for other, edge in edges.items()}
            self.edges.update_one({"_id": song_id}, {"$set": fields}, upsert=True)
            for other, edge in edges.items():
                self.edges.update_one(
                    {"_id": other}, {"$set": {f"neighbours.{song_id}": edge}}, upsert=True
                )
        else:
            self.edges.update_one(
                {"_id": song_id}, {"$setOnInsert": {"neighbours": {}}}, upsert=True
            )
        self._record("link", song_id)

    @guarded
    def unlink(self, song_id: str, others: list[str]) -> None:
        """Remove the edges between ``song_id`` and each of ``others`` (both directions)."""
        if not others:
            return
        self.edges.update_one({"_id": song_id}, {"$unset": {f"neighbours.{o}": "" for o in others}})
        for other in others:
            self.edges.update_one({"_id": other}, {"$unset": {f"neighbours.{song_id}": ""}})
        self._record("link", song_id)

    @guarded
    def remove(self, song_id: str) -> None:
        """Remove a song and every edge to it (its neighbours' documents included)."""
        doc = self.edges.find_one_and_delete({"_id": song_id})
        for other in doc["neighbours"] if doc else ():
            self.edges.update_one({"_id": other}, {"$unset": {f"neighbours.{song_id}": ""}})
        self._record("remove", song_id)

    @guarded
    def drop_stale(self, stamp: str, *, keep: set[str]) -> int:
        """After a rebuild: drop every edge not scored with ``stamp`` and every document of a
        song not in ``keep``; record the new ``stamp``. Returns the edges dropped."""
        dropped = 0
        for doc in list(self.edges.find({}, batch_size=2000)):
            if doc["_id"] not in keep:
                self.edges.delete_one({"_id": doc["_id"]})
                dropped += len(doc.get("neighbours", {}))
                continue
            stale = [
                o
                for o, e in doc.get("neighbours", {}).items()
                if e["stamp"] != stamp or o not in keep
            ]
            if stale:
                self.edges.update_one(
                    {"_id": doc["_id"]}, {"$unset": {f"neighbours.{o}": "" for o in stale}}
                )
                dropped += len(stale)
        self.mark_rebuilt(stamp)
        return dropped

    @guarded
    def mark_rebuilt(self, stamp: str) -> None:
        """Record that the whole graph now holds ``stamp``'s edges; every reader reloads."""
        self.meta.update_one({"_id": "graph"}, {"$set": {"stamp": stamp}}, upsert=True)
        self._record("reset", None)

    @guarded
    def invalidate(self) -> None:
        """Forget the graph's stamp (edges stay): the next worker start rebuilds the graph,
        linking songs that arrived without it (a restored backup)."""
        self.meta.update_one({"_id": "graph"}, {"$unset": {"stamp": ""}}, upsert=True)

    @guarded
    def clear(self) -> None:
        """Forget the whole graph (tests, restore)."""
        self.edges.delete_many({})
        self.meta.update_one({"_id": "graph"}, {"$unset": {"stamp": ""}}, upsert=True)
        self._record("reset", None)

    def _record(self, op: ChangeOp, song_id: str | None) -> None:
        doc = self.meta.find_one_and_update(
            {"_id": "graph"},
            {"$inc": {"version": 1}, "$set": {"updated_at": now()}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # upserted
        seq = int(doc["version"])
        self.changes.insert_one({"_id": seq, "op": op, "song": song_id})
        if seq % TRIM_EVERY == 0:  # a reader further behind than KEEP_CHANGES reloads anyway
            self.changes.delete_many({"_id": {"$lt": seq - KEEP_CHANGES}})
