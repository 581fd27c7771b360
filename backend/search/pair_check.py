"""Cover check between two stored songs: the fused scorer's verdict and the evidence for it."""

from __future__ import annotations

from backend.search.song_features import AnalysisCache, song_analysis
from backend.storage.documents import Song
from backend.storage.song_repository import SongRepository
from model.check import PairCheck, check_pair
from model.score import ScorerConfig


def check(
    a_id: str,
    b_id: str,
    *,
    songs: SongRepository,
    analyses: AnalysisCache,
    config: ScorerConfig,
    model_version: str,
) -> tuple[Song, Song, PairCheck]:
    """Both song documents and ``model.check.check_pair`` on their stored analyses.

    ``AnalysisPending`` while either song's analysis is being backfilled.
    """
    a = songs.get(a_id)
    b = songs.get(b_id)
    result = check_pair(
        song_analysis(a, cache=analyses, songs=songs, model_version=model_version),
        song_analysis(b, cache=analyses, songs=songs, model_version=model_version),
        config=config,
    )
    return a, b, result
