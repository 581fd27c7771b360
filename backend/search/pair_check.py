"""Cover check between two stored songs: the fused scorer's verdict and the evidence for it.

The scoring runs in the ``CpuPool`` (never on a request thread) and its result is cached per
song pair and scorer: the key holds both songs' ids and analysis keys, the scorer version and
threshold and the model version, so a re-analysed song, a new threshold or a new model is a
new key. Both analyses are looked up first even when the result is cached (from the analysis
cache, usually), so a song whose analysis became pending answers 409 as before. The cache keeps the verdict and its passages (small); the pictures, which need the
cross-similarity matrix, have a smaller cache of their own.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import NamedTuple

from cachetools import LRUCache

from backend.search.cpu_pool import CpuPool
from backend.search.explain import similarity_png
from backend.search.song_features import AnalysisCache, song_analysis
from backend.storage.documents import Song
from backend.storage.song_repository import SongRepository
from model.analysis import SongAnalysis
from model.check import PairCheck, check_pair
from model.score import ScorerConfig

CHECKS_CACHED = 4096
"""Verdicts kept (a few kB each: the matrices are dropped)."""
PICTURES_CACHED = 64
"""Similarity pictures kept (tens of kB each)."""
PRELOAD = ("model.check", "backend.search.explain")
"""What the pool's processes import when they start."""


class PairKey(NamedTuple):
    a: str
    a_analysis: str
    b: str
    b_analysis: str
    scorer: str
    threshold: float
    model: str


def checked_with_picture(
    a: SongAnalysis, b: SongAnalysis, *, config: ScorerConfig, title_a: str, title_b: str
) -> tuple[PairCheck, bytes]:
    """The check of ``a`` and ``b`` and the PNG of its cross-similarity (in a pool process)."""
    result = check_pair(a, b, config=config)
    assert result.alignment is not None  # check_pair always explains its verdict
    return result, similarity_png(result.alignment, title_a=title_a, title_b=title_b)


def without_matrices(result: PairCheck) -> PairCheck:
    """``result`` without the alignment's (frames_a, frames_b) matrices, for the cache."""
    if result.alignment is None:
        return result
    alignment = dataclasses.replace(result.alignment, cross_similarity=None, score_matrix=None)
    return dataclasses.replace(result, alignment=alignment)


class PairChecker:
    """Pair checks of stored songs through a bounded ``CpuPool``, with cached results."""

    def __init__(
        self,
        *,
        songs: SongRepository,
        analyses: AnalysisCache,
        pool: CpuPool,
        checks_cached: int = CHECKS_CACHED,
        pictures_cached: int = PICTURES_CACHED,
    ) -> None:
        self.songs = songs
        self.analyses = analyses
        self.pool = pool
        self._checks: LRUCache[PairKey, PairCheck] = LRUCache(maxsize=checks_cached)
        self._pictures: LRUCache[tuple[PairKey, str, str], bytes] = LRUCache(
            maxsize=pictures_cached
        )
        self._lock = threading.Lock()

    def _key(self, a: Song, b: Song, config: ScorerConfig, model_version: str) -> PairKey:
        return PairKey(
            a=str(a["_id"]),
            a_analysis=str(a.get("analysis_key")),
            b=str(b["_id"]),
            b_analysis=str(b.get("analysis_key")),
            scorer=config.version,
            threshold=config.threshold,
            model=model_version,
        )

    def _analyses(self, a: Song, b: Song, model_version: str) -> tuple[SongAnalysis, SongAnalysis]:
        return (
            song_analysis(a, cache=self.analyses, songs=self.songs, model_version=model_version),
            song_analysis(b, cache=self.analyses, songs=self.songs, model_version=model_version),
        )

    def check(
        self, a_id: str, b_id: str, *, config: ScorerConfig, model_version: str
    ) -> tuple[Song, Song, PairCheck]:
        """Both song documents and ``model.check.check_pair`` on their stored analyses (its
        alignment without the matrices).

        ``AnalysisPending`` while either song's analysis is being backfilled; ``Overloaded``
        when the pool is full and the pair is not cached.
        """
        a, b = self.songs.get(a_id), self.songs.get(b_id)
        first, second = self._analyses(a, b, model_version)  # raises while one is pending
        key = self._key(a, b, config, model_version)
        with self._lock:
            found = self._checks.get(key)
        if found is None:
            found = without_matrices(self.pool.run(check_pair, first, second, config=config))
            with self._lock:
                self._checks[key] = found
        return a, b, found

    def picture(
        self, a_id: str, b_id: str, *, config: ScorerConfig, model_version: str
    ) -> tuple[Song, Song, PairCheck, bytes]:
        """``check`` and the PNG of the cross-similarity with the matched passages."""
        a, b = self.songs.get(a_id), self.songs.get(b_id)
        first, second = self._analyses(a, b, model_version)  # raises while one is pending
        key = self._key(a, b, config, model_version)
        titles = (a.get("title") or "A", b.get("title") or "B")
        with self._lock:
            png = self._pictures.get((key, *titles))
            found = self._checks.get(key)
        if png is None or found is None:
            result, png = self.pool.run(
                checked_with_picture,
                first,
                second,
                config=config,
                title_a=titles[0],
                title_b=titles[1],
            )
            found = without_matrices(result)
            with self._lock:
                self._checks[key] = found
                self._pictures[(key, *titles)] = png
        return a, b, found, png
