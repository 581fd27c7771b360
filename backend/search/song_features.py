"""What a stored song brings to a comparison: its current embedding and its scorer analysis.

Analyses are read from the feature store through a small LRU keyed by their content key (a
pair check and a re-rank touch the same songs again and again).
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
from cachetools import LRUCache

from backend.storage.db import unpack_array
from backend.storage.documents import Song
from backend.storage.feature_store import FeatureStore
from backend.storage.song_repository import SongRepository
from model.analysis import ANALYSIS_VERSION, SongAnalysis
from model.errors import AnalysisPending, Conflict, NotFound

CACHE_SIZE = 128
"""Analyses kept in memory (~0.3-1 MB each)."""


class AnalysisCache:
    """Song analyses read from ``store`` by key, the ``size`` most recently used in memory."""

    def __init__(self, store: FeatureStore, *, size: int = CACHE_SIZE) -> None:
        self.store = store
        self._items: LRUCache[str, SongAnalysis] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: str) -> SongAnalysis:
        """The analysis stored under ``key``; ``NotFound`` when the object is missing."""
        with self._lock:
            found = self._items.get(key)
        if found is not None:
            return found
        analysis = SongAnalysis.from_bytes(self.store.get(key))
        with self._lock:
            self._items[key] = analysis
        return analysis


def current_embedding(song: Song, *, model_version: str) -> np.ndarray:
    """A song's embedding under the current model; ``Conflict`` while it awaits re-embedding."""
    if song.get("model_version") != model_version:
        raise Conflict(
            f"Song {song['_id']} was embedded by model {song.get('model_version')}; "
            "it is being re-embedded with the current model."
        )
    return unpack_array(song["embedding"])


def song_analysis(
    song: Song, *, cache: AnalysisCache, songs: SongRepository, model_version: str
) -> SongAnalysis:
    """A stored song's analysis, with its embedding under the current model.

    ``AnalysisPending`` (409) when the song has no analysis of the current version yet (the
    backfill job computes it); ``Conflict`` while the song awaits re-embedding. The embedding
    stored in the analysis is used when the current model made it, else the song document's.
    """
    if song.get("analysis_version") != ANALYSIS_VERSION:
        song = songs.get(song["_id"])  # a cached document may predate the backfill
    key = song.get("analysis_key")
    if not key or song.get("analysis_version") != ANALYSIS_VERSION:
        raise AnalysisPending(
            f"Song {song['_id']} ({song.get('title') or 'untitled'}) has no analysis of version "
            f"{ANALYSIS_VERSION} yet; it is being backfilled. Try again when the backfill job "
            "is done."
        )
    try:
        analysis = cache.get(key)
    except NotFound as exc:
        raise AnalysisPending(
            f"Song {song['_id']}'s analysis is missing from the feature store; it is being "
            "backfilled."
        ) from exc
    if analysis.embedding is not None and analysis.embedding_version == model_version:
        return analysis
    doc = song if "embedding" in song else songs.get(song["_id"], with_embedding=True)
    vector = current_embedding(doc, model_version=model_version)
    return dataclasses.replace(analysis, embedding=vector, embedding_version=model_version)
