"""Ranking the library against a query embedding, optionally re-ranked by alignment."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import numpy as np

from backend.search.chroma_cache import ChromaCache
from backend.search.vector_index import VectorIndex
from backend.storage.db import unpack_array
from backend.storage.documents import Song
from backend.storage.song_repository import SongRepository
from model.align import align
from model.errors import Conflict
from model.verdict import Calibration


class Ranked(TypedDict):
    """One library song in a ranking, with the verdict on it."""

    song: Song
    distance: float
    similarity: float
    is_cover: bool
    probability: float
    alignment_distance: NotRequired[float | None]
    key_shift: NotRequired[int]


def similarity(distance: float) -> float:
    """Embedding distance (0..2 between unit vectors) as a percent, 100 = identical."""
    return round(100.0 * max(0.0, 1.0 - distance / 2.0), 1)


def current_embedding(song: Song, *, model_version: str) -> np.ndarray:
    """A song's embedding under the current model; ``Conflict`` while it awaits re-embedding."""
    if song.get("model_version") != model_version:
        raise Conflict(
            f"Song {song['_id']} was embedded by model {song.get('model_version')}; "
            "it is being re-embedded with the current model."
        )
    return unpack_array(song["embedding"])


def query_song(
    song_id: str, *, index: VectorIndex, songs: SongRepository, model_version: str
) -> tuple[Song, np.ndarray]:
    """A library song and its current embedding, from the vector index when it is there."""
    snap = index.snapshot()
    pos = snap.positions.get(song_id)
    if pos is not None:
        return snap.songs[pos], snap.matrix[pos]
    song = songs.get(song_id, with_embedding=True)
    vector = current_embedding(song, model_version=model_version)
    song.pop("embedding", None)
    return song, vector


def rank(
    query: np.ndarray,
    *,
    index: VectorIndex,
    cache: ChromaCache,
    limit: int,
    exclude: str | None = None,
    chroma: np.ndarray | None = None,
    rerank: int = 0,
) -> tuple[list[Ranked], Calibration]:
    """Library songs closest to ``query`` (an embedding); optionally re-rank the top ``rerank``
    by the Qmax alignment distance against ``chroma`` (the query's HPCP)."""
    snap = index.snapshot()
    calibration = snap.calibration
    hits = index.nearest(query, limit=max(limit, rerank), exclude=exclude, snap=snap)
    results: list[Ranked] = [
        {
            "song": doc,
            "distance": round(d, 4),
            "similarity": similarity(d),
            "is_cover": calibration.is_cover(d),
            "probability": round(calibration.probability(d), 4),
        }
        for doc, d in hits
    ]
    if rerank and chroma is not None:
        head = results[:rerank]
        for entry in head:
            aligned = align(chroma, cache.get(entry["song"]["hpcp_key"]))
            finite = bool(np.isfinite(aligned.distance))
            entry["alignment_distance"] = round(aligned.distance, 4) if finite else None
            entry["key_shift"] = aligned.key_shift
        head.sort(key=lambda e: (e["alignment_distance"] is None, e["alignment_distance"] or 0.0))
        results = head + results[rerank:]
    return results[:limit], calibration
