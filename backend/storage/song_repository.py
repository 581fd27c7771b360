"""SongRepository: the only code that reads or writes song documents (pymongo).

A song document holds metadata, the embedding as BSON binary float32 with shape/dtype, the
feature-store keys of its HPCP and audio, and its folded search text (``library_text``). Every change bumps a library version counter so
in-memory vector indexes in any process know to reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import numpy as np
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from backend.storage.db import guarded, now, object_id, pack_array, unpack_array
from backend.storage.documents import FeatureRef, ModelSettings, NewSong, Song, SongEdit
from backend.storage.library_text import SEARCHED, song_text, text_filter
from model.errors import Conflict, NotFound

SORTABLE = ("created_at", "title", "artist", "duration")
EDITABLE = ("title", "artist", "tags", "notes")
HEAVY = {"embedding": 0}
"""Projection that leaves the embedding out of listings."""


class SongRepository:
    def __init__(self, db: Database[Any]) -> None:
        self.songs: Collection[Song] = db["songs"]
        self.meta: Collection[dict[str, Any]] = db["meta"]

    @guarded
    def ensure_indexes(self) -> None:
        self.songs.create_index(
            "video_id", unique=True, partialFilterExpression={"video_id": {"$type": "string"}}
        )
        self.songs.create_index([("created_at", DESCENDING)])
        self.songs.create_index("model_version")
        self.songs.create_index("audio_key")
        self.songs.create_index("hpcp_key")
        self.songs.create_index("analysis_key")
        for name, info in self.songs.index_information().items():
            if any(kind == "text" for _, kind in info["key"]):
                # Left by versions that searched with $text; searches no longer use it.
                self.songs.drop_index(name)
        self._backfill_search_text()

    def _backfill_search_text(self) -> None:
        """Give songs stored before ``search_text`` existed their folded text."""
        missing = {"search_text": {"$exists": False}}
        fields = dict.fromkeys(SEARCHED, 1)
        filled = 0
        for doc in self.songs.find(missing, fields, batch_size=2000):
            text = song_text(
                title=doc.get("title") or "",
                artist=doc.get("artist") or "",
                tags=doc.get("tags") or [],
            )
            self.songs.update_one({"_id": doc["_id"]}, {"$set": {"search_text": text}})
            filled += 1
        if filled:
            self.bump()

    @guarded
    def ping(self) -> None:
        self.songs.database.command("ping")

    # -- reads -----------------------------------------------------------------------------
    @guarded
    def get(self, song_id: str | ObjectId, *, with_embedding: bool = False) -> Song:
        oid = song_id if isinstance(song_id, ObjectId) else object_id(song_id)
        doc = self.songs.find_one({"_id": oid}, None if with_embedding else HEAVY)
        if doc is None:
            raise NotFound(f"No song with id {song_id!s}.")
        return doc

    @guarded
    def by_audio_key(self, key: str) -> Song | None:
        return self.songs.find_one({"audio_key": key}, HEAVY)

    @guarded
    def by_video_id(self, video_id: str) -> Song | None:
        return self.songs.find_one({"video_id": video_id}, HEAVY)

    @guarded
    def find_page(
        self,
        q: str | None = None,
        *,
        page: int = 1,
        per_page: int = 20,
        sort: str = "created_at",
        order: str = "desc",
    ) -> tuple[list[Song], int]:
        """Page ``page`` of the songs matching ``q`` (``library_text``), and how many match."""
        query = text_filter(q)
        direction = ASCENDING if order == "asc" else DESCENDING
        keys = [(sort if sort in SORTABLE else "created_at", direction), ("_id", direction)]
        cursor = (
            self.songs.find(query, HEAVY).sort(keys).skip((page - 1) * per_page).limit(per_page)
        )
        total = (
            self.songs.estimated_document_count()
            if not query
            else self.songs.count_documents(query)
        )
        return list(cursor), total

    @guarded
    def count(self) -> int:
        return self.songs.estimated_document_count()

    @guarded
    def count_stale(self, model_version: str) -> int:
        return self.songs.count_documents({"model_version": {"$ne": model_version}})

    @guarded
    def catalog(self, model_version: str) -> Iterator[tuple[Song, np.ndarray | None]]:
        """Every song, with its vector when ``model_version`` embedded it (else ``None``)."""
        # No sort: the order does not matter to the index, and unsorted results stream.
        for doc in self.songs.find({}, batch_size=2000):
            packed = doc.pop("embedding", None)
            if packed is None or doc.get("model_version") != model_version:
                yield doc, None
            else:
                yield doc, unpack_array(packed)

    @guarded
    def feature_ref(self, song_id: ObjectId) -> FeatureRef | None:
        found = self.songs.find_one({"_id": song_id}, {"hpcp_key": 1, "model_version": 1})
        return cast(FeatureRef | None, found)

    @guarded
    def count_without_analysis(self, analysis_version: str) -> int:
        return self.songs.count_documents({"analysis_version": {"$ne": analysis_version}})

    @guarded
    def without_analysis(self, analysis_version: str) -> list[Song]:
        """Songs whose stored analysis is missing or of another version (no embeddings)."""
        query = {"analysis_version": {"$ne": analysis_version}}
        return list(self.songs.find(query, HEAVY, batch_size=2000))

    @guarded
    def ids(self) -> list[ObjectId]:
        return [doc["_id"] for doc in self.songs.find({}, {"_id": 1}, batch_size=5000)]

    # -- writes ----------------------------------------------------------------------------
    @guarded
    def insert(self, song: NewSong, embedding: np.ndarray) -> Song:
        """Insert a complete song in one write; a duplicate video id raises ``Conflict``."""
        stamp = now()
        doc: Song = {
            "title": "",
            "artist": "",
            "tags": [],
            "notes": "",
            **song,
            "search_text": "",
            "_id": ObjectId(),
            "embedding": pack_array(embedding),
            "created_at": stamp,
            "updated_at": stamp,
        }
        doc["search_text"] = song_text(title=doc["title"], artist=doc["artist"], tags=doc["tags"])
        try:
            self.songs.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"video {song.get('video_id')} is already in the library") from exc
        self.bump()
        doc.pop("embedding")
        return doc

    @guarded
    def update(self, song_id: str, changes: SongEdit) -> Song:
        oid = object_id(song_id)
        fields: dict[str, Any] = {k: v for k, v in changes.items() if k in EDITABLE}
        if any(name in fields for name in SEARCHED):
            current = self.songs.find_one({"_id": oid}, dict.fromkeys(SEARCHED, 1))
            if current is None:
                raise NotFound(f"No song with id {song_id}.")
            merged = {**current, **fields}
            fields["search_text"] = song_text(
                title=merged.get("title") or "",
                artist=merged.get("artist") or "",
                tags=merged.get("tags") or [],
            )
        doc = self.songs.find_one_and_update(
            {"_id": oid},
            {"$set": {**fields, "updated_at": now()}},
            projection=HEAVY,
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise NotFound(f"No song with id {song_id}.")
        self.bump()
        return doc

    @guarded
    def set_embedding(self, song_id: ObjectId, embedding: np.ndarray, model_version: str) -> None:
        self.songs.update_one(
            {"_id": song_id},
            {"$set": {"embedding": pack_array(embedding), "model_version": model_version}},
        )

    @guarded
    def set_analysis(self, song_id: ObjectId, key: str, version: str) -> str | None:
        """Point a song at its stored analysis; returns the key it replaces (if any)."""
        old = self.songs.find_one_and_update(
            {"_id": song_id},
            {"$set": {"analysis_key": key, "analysis_version": version}},
            projection={"analysis_key": 1},
        )
        return None if old is None else old.get("analysis_key")

    @guarded
    def delete(self, song_id: str) -> Song:
        doc = self.songs.find_one_and_delete({"_id": object_id(song_id)}, projection=HEAVY)
        if doc is None:
            raise NotFound(f"No song with id {song_id}.")
        self.bump()
        return doc

    @guarded
    def delete_many(self, song_ids: list[str]) -> list[Song]:
        oids = []
        for raw in song_ids:
            try:
                oids.append(object_id(raw))
            except NotFound:
                continue
        docs = list(self.songs.find({"_id": {"$in": oids}}, HEAVY))
        if docs:
            self.songs.delete_many({"_id": {"$in": [d["_id"] for d in docs]}})
            self.bump()
        return docs

    @guarded
    def uses_key(self, key: str) -> bool:
        """Whether any song still refers to a feature-store key (keys are shared by content)."""
        fields = ("hpcp_key", "audio_key", "analysis_key")
        return self.songs.count_documents({"$or": [{f: key} for f in fields]}) > 0

    # -- backup and restore (``backend.backup``) ---------------------------------------------
    @guarded
    def documents(self) -> Iterator[Song]:
        """Every song document as stored, embedding included, in id order."""
        yield from self.songs.find({}, sort=[("_id", ASCENDING)], batch_size=500)

    @guarded
    def holds(self, doc: Song) -> bool:
        """Whether the library already has ``doc``: the same id, audio or source video."""
        same: list[dict[str, Any]] = [{"_id": doc["_id"]}, {"audio_key": doc["audio_key"]}]
        if isinstance(doc.get("video_id"), str):
            same.append({"video_id": doc["video_id"]})
        return self.songs.count_documents({"$or": same}, limit=1) > 0

    @guarded
    def restore(self, doc: Song) -> None:
        """Insert a song document exactly as a backup holds it (id and dates kept)."""
        try:
            self.songs.insert_one(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"song {doc['_id']} is already in the library") from exc
        self.bump()

    @guarded
    def restore_model_settings(self, settings: ModelSettings) -> bool:
        """Store ``settings`` unless an operator already set a threshold here; whether it was."""
        if self.meta.find_one({"_id": "model"}) is not None:
            return False
        self.meta.insert_one({**settings, "_id": "model"})
        self.bump()
        return True

    # -- library version and model settings --------------------------------------------------
    @guarded
    def bump(self) -> None:
        self.meta.update_one({"_id": "library"}, {"$inc": {"version": 1}}, upsert=True)

    @guarded
    def version(self) -> int:
        doc = self.meta.find_one({"_id": "library"})
        return int(doc["version"]) if doc else 0

    @guarded
    def model_settings(self) -> ModelSettings:
        return cast(ModelSettings, self.meta.find_one({"_id": "model"}) or {})

    @guarded
    def set_threshold(self, model_version: str, threshold: float) -> None:
        self.meta.update_one(
            {"_id": "model"},
            {"$set": {"threshold": threshold, "model_version": model_version, "updated_at": now()}},
            upsert=True,
        )
        self.bump()
