"""Backfill: every song without a current scorer analysis gets one, from its stored audio.

Songs added before analyses existed (or analysed by an older ``ANALYSIS_VERSION``) cannot be
checked until this job has run; songs whose audio is not stored are reported, not analysed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from backend.ingest.analyse import analyse_song, store_analysis
from backend.ingest.scratch import scratch_folder
from backend.jobs.queue import Report
from backend.settings import Settings
from backend.storage.documents import Job, NotAnalysable, Song
from backend.storage.feature_store import FeatureStore
from backend.storage.job_repository import JobRepository
from backend.storage.song_repository import SongRepository
from model.analysis import ANALYSIS_VERSION
from model.audio import decode
from model.embed import Embedder
from model.errors import CoverscopeError, InvalidInput, NotFound

log = logging.getLogger(__name__)


def backfill_analyses(
    job: Job,
    report: Report,
    *,
    settings: Settings,
    songs: SongRepository,
    jobs: JobRepository,
    store: FeatureStore,
    embedder: Embedder,
    analysed: Callable[[str], object] | None = None,
) -> None:
    """Analyse every song lacking a current analysis; the job's result lists those skipped.
    ``analysed(song_id)`` runs after each song is analysed (the worker links it into the
    neighbour graph)."""
    pending = songs.without_analysis(ANALYSIS_VERSION)
    report("analysing", 0)
    done = 0
    skipped: list[NotAnalysable] = []
    for i, song in enumerate(pending):
        try:
            reanalyse(song, settings=settings, songs=songs, store=store, embedder=embedder)
            done += 1
        except (NotFound, InvalidInput) as exc:
            log.warning("song %s not analysable: %s", song["_id"], exc.message)
            skipped.append(
                {"song_id": str(song["_id"]), "title": song.get("title", ""), "reason": exc.message}
            )
        else:
            if analysed is not None:
                analysed(str(song["_id"]))
        report("analysing", 100.0 * (i + 1) / len(pending))
    songs.bump()
    jobs.set_result(job["_id"], {"analysed": done, "not_analysable": skipped})


def reanalyse(
    song: Song,
    *,
    settings: Settings,
    songs: SongRepository,
    store: FeatureStore,
    embedder: Embedder,
) -> str:
    """Compute and store one song's analysis from its stored audio; returns the new key.

    ``NotFound`` when the song's audio is not stored; ``UndecodableAudio`` when it does not
    decode. The object of a replaced analysis is deleted unless another song shares it.
    """
    audio_key = song.get("audio_key")
    if not audio_key:
        raise NotFound("its audio is not stored")
    try:
        data = store.get(audio_key)
    except NotFound as exc:
        raise NotFound("its audio is missing from the feature store") from exc
    with scratch_folder(settings, prefix="coverscope-backfill-") as tmp:
        path = Path(tmp) / f"audio{Path(audio_key).suffix[:8]}"
        path.write_bytes(data)
        y = decode(path, max_seconds=settings.max_duration_s + 1.0)
    _, scored = analyse_song(y, embedder)
    key = store_analysis(scored, store=store)
    old = songs.set_analysis(song["_id"], key, ANALYSIS_VERSION)
    if old and old != key and not songs.uses_key(old):
        try:
            store.delete(old)
        except CoverscopeError as exc:
            log.warning("could not delete %s from the store: %s", old, exc.message)
    return key
