"""Ranking the library against a query embedding, the head optionally re-ranked by the fused
scorer (``model.score.score_pair``, the function every check calls) on the check pool, so a
re-rank never holds a request thread's CPU."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import numpy as np

from backend.search.cpu_pool import CpuPool
from backend.search.song_features import AnalysisCache, current_embedding, song_analysis
from backend.search.vector_index import VectorIndex
from backend.storage.documents import Song
from backend.storage.song_repository import SongRepository
from model.analysis import SongAnalysis
from model.score import ScorerConfig, component_table, score_against
from model.verdict import Calibration

MAX_RERANK = 5
"""Re-ranked songs per request (a larger ``rerank`` is cut to it): each costs one fused pair
score, 0.17 s median for two 4-minute songs (benchmarks/api_check.py), so a re-rank stays
around a second."""


class Ranked(TypedDict):
    """One library song in a ranking, with the verdict on it.

    ``distance``, ``similarity`` and, outside the re-ranked head, ``is_cover`` and
    ``probability`` come from the embedding; a re-ranked song's ``is_cover`` and
    ``probability`` come from its ``fused`` score (larger = more alike) and ``components``.
    """

    song: Song
    distance: float
    similarity: float
    is_cover: bool
    probability: float
    alignment_distance: NotRequired[float | None]
    key_shift: NotRequired[int]
    fused: NotRequired[float]
    components: NotRequired[dict[str, dict[str, float]]]


def similarity(distance: float) -> float:
    """Embedding distance (0..2 between unit vectors) as a percent, 100 = identical."""
    return round(100.0 * max(0.0, 1.0 - distance / 2.0), 1)


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
    limit: int,
    exclude: str | None = None,
) -> tuple[list[Ranked], Calibration]:
    """Library songs closest to ``query`` (an embedding), with the embedding's verdicts."""
    snap = index.snapshot()
    calibration = snap.calibration
    hits = index.nearest(query, limit=limit, exclude=exclude, snap=snap)
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
    return results, calibration


def rerank(
    results: list[Ranked],
    query: SongAnalysis,
    *,
    count: int,
    config: ScorerConfig,
    cache: AnalysisCache,
    songs: SongRepository,
    model_version: str,
    pool: CpuPool,
) -> list[Ranked]:
    """Score the first ``count`` (at most ``MAX_RERANK``) results against the ``query``
    analysis with the fused scorer, in one task on ``pool``, and sort them by fused score
    (best first); the rest keep their order. Returns a new list.

    ``AnalysisPending`` when a song of the head has no current analysis; ``Overloaded`` when
    the pool is full."""
    count = min(count, MAX_RERANK)
    entries = results[:count]
    others = [
        song_analysis(entry["song"], cache=cache, songs=songs, model_version=model_version)
        for entry in entries
    ]
    scores = pool.run(score_against, query, others, config=config) if others else []
    head: list[Ranked] = []
    for entry, score in zip(entries, scores, strict=True):
        scored: Ranked = {
            **entry,
            "is_cover": score.is_cover,
            "probability": round(score.probability, 4),
            "fused": round(score.fused, 4),
            "components": component_table(score, config=config),
        }
        if score.qmax is not None:
            scored["alignment_distance"] = round(score.qmax.distance, 4)
            scored["key_shift"] = score.qmax.key_shift
        head.append(scored)
    head.sort(key=lambda e: -e.get("fused", 0.0))
    return head + results[count:]
