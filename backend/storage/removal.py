"""Removing songs: the documents, the claims that kept them unique, features no one shares."""

from __future__ import annotations

import logging
from pathlib import Path

from backend.storage.edge_repository import EdgeRepository
from backend.storage.feature_store import FeatureStore
from backend.storage.job_repository import JobRepository
from backend.storage.song_repository import SongRepository
from model.errors import CoverscopeError

log = logging.getLogger(__name__)


def delete_songs(
    song_ids: list[str],
    *,
    songs: SongRepository,
    jobs: JobRepository,
    store: FeatureStore,
    edges: EdgeRepository,
) -> int:
    """Delete songs and their edges, release their claims and drop features no other song
    shares. The song goes first: a graph update racing with it then finds it gone."""
    docs = songs.delete_many(song_ids)
    for doc in docs:
        edges.remove(str(doc["_id"]))
        if doc.get("video_id"):
            jobs.release(doc["video_id"])
        if doc.get("audio_key"):
            jobs.release("upload:" + Path(doc["audio_key"]).stem)
        for key in (doc.get("hpcp_key"), doc.get("audio_key"), doc.get("analysis_key")):
            if key and not songs.uses_key(key):
                try:
                    store.delete(key)
                except CoverscopeError as exc:
                    log.warning("could not delete %s from the store: %s", key, exc.message)
    return len(docs)
