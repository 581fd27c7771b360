"""Cover check between two stored songs: verdict, probability and the alignment behind it."""

from __future__ import annotations

import dataclasses

from backend.search.chroma_cache import ChromaCache
from backend.search.ranking import current_embedding
from backend.storage.documents import Song
from backend.storage.song_repository import SongRepository
from model.align import Alignment, align
from model.check import PairCheck, check_pair
from model.embed import Embedder
from model.verdict import Calibration


def check(
    a_id: str,
    b_id: str,
    *,
    songs: SongRepository,
    embedder: Embedder,
    calibration: Calibration,
    cache: ChromaCache,
) -> tuple[Song, Song, PairCheck]:
    """Both song documents and the verdict on them under ``calibration``."""
    a = songs.get(a_id, with_embedding=True)
    b = songs.get(b_id, with_embedding=True)
    calibrated = dataclasses.replace(embedder, calibration=calibration)
    result = check_pair(
        cache.get(a["hpcp_key"]),
        cache.get(b["hpcp_key"]),
        calibrated,
        embedding_a=current_embedding(a, model_version=embedder.version),
        embedding_b=current_embedding(b, model_version=embedder.version),
    )
    return a, b, result


def alignment(a_id: str, b_id: str, *, songs: SongRepository, cache: ChromaCache) -> Alignment:
    """The Qmax alignment of two stored songs' HPCP."""
    a = songs.get(a_id)
    b = songs.get(b_id)
    return align(cache.get(a["hpcp_key"]), cache.get(b["hpcp_key"]))
