"""Cover check between two stored songs, and ranking the library against a query."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from backend.services import Services
from backend.store import bytes_array
from model.align import Alignment, align
from model.check import PairCheck, check_pair
from model.embed import Embedder
from model.errors import Conflict
from model.verdict import Calibration


class ChromaCache:
    """A small LRU of stored HPCP arrays: pair checks and re-ranking reuse the same songs."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, services: Services, key: str) -> np.ndarray:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        chroma = bytes_array(services.store.get(key))
        with self._lock:
            self._items[key] = chroma
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return chroma


def similarity(distance: float) -> float:
    """Embedding distance (0..2 between unit vectors) as a percent, 100 = identical."""
    return round(100.0 * max(0.0, 1.0 - distance / 2.0), 1)


def calibrated_embedder(services: Services) -> tuple[Embedder, Calibration]:
    calibration = services.calibration()
    return dataclasses.replace(services.embedder, calibration=calibration), calibration


def query_song(services: Services, song_id: str) -> tuple[dict[str, Any], np.ndarray]:
    """A library song and its current embedding, from the search index when it is there."""
    assert services.index is not None
    snap = services.index.snapshot()
    pos = snap.positions.get(song_id)
    if pos is not None:
        return snap.songs[pos], snap.matrix[pos]
    song = services.songs.get(song_id, with_embedding=True)
    vector = current_embedding(services, song)
    song.pop("embedding", None)
    return song, vector


def current_embedding(services: Services, song: dict[str, Any]) -> np.ndarray:
    """A song's embedding under the current model; ``Conflict`` while it awaits re-embedding."""
    if song.get("model_version") != services.embedder.version:
        raise Conflict(
            f"Song {song['_id']} was embedded by model {song.get('model_version')}; "
            "it is being re-embedded with the current model."
        )
    from backend.db import unpack_array

    return unpack_array(song["embedding"])


def check(
    services: Services, cache: ChromaCache, a_id: str, b_id: str
) -> tuple[dict[str, Any], dict[str, Any], PairCheck]:
    a = services.songs.get(a_id, with_embedding=True)
    b = services.songs.get(b_id, with_embedding=True)
    embedder, _ = calibrated_embedder(services)
    result = check_pair(
        cache.get(services, a["hpcp_key"]),
        cache.get(services, b["hpcp_key"]),
        embedder,
        embedding_a=current_embedding(services, a),
        embedding_b=current_embedding(services, b),
    )
    return a, b, result


def alignment(services: Services, cache: ChromaCache, a_id: str, b_id: str) -> Alignment:
    a = services.songs.get(a_id)
    b = services.songs.get(b_id)
    return align(cache.get(services, a["hpcp_key"]), cache.get(services, b["hpcp_key"]))


def rank(
    services: Services,
    cache: ChromaCache,
    query: np.ndarray,
    *,
    limit: int,
    exclude: str | None = None,
    chroma: np.ndarray | None = None,
    rerank: int = 0,
) -> tuple[list[dict[str, Any]], Calibration]:
    """Library songs closest to ``query`` (an embedding); optionally re-rank the top ``rerank``
    by the Qmax alignment distance against ``chroma`` (the query's HPCP)."""
    assert services.index is not None
    snap = services.index.snapshot()
    calibration = snap.calibration
    hits = services.index.nearest(query, limit=max(limit, rerank), exclude=exclude, snap=snap)
    results: list[dict[str, Any]] = [
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
            aligned = align(chroma, cache.get(services, entry["song"]["hpcp_key"]))
            finite = bool(np.isfinite(aligned.distance))
            entry["alignment_distance"] = round(aligned.distance, 4) if finite else None
            entry["key_shift"] = aligned.key_shift
        head.sort(key=lambda e: (e["alignment_distance"] is None, e["alignment_distance"] or 0.0))
        results = head + results[rerank:]
    return results[:limit], calibration
