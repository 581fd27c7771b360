"""Ingestion: a job record -> downloaded or uploaded audio -> HPCP, embedding and the scorer's
analysis -> a stored song.

Features and audio go to the feature store first (content-addressed, so a re-run rewrites the
same objects); the song document is inserted last, in one write. A worker killed at any point
therefore leaves no half-written song.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

import numpy as np

from backend.ingest.scratch import scratch_folder
from backend.ingest.sources import Source, download, validate_url
from backend.ingest.uploads import title_from_filename
from backend.jobs.queue import Report
from backend.settings import Settings
from backend.storage.documents import Job, NewSong, Song, SongMeta
from backend.storage.feature_store import FeatureStore, array_bytes, content_key
from backend.storage.song_repository import SongRepository
from model.analysis import ANALYSIS_VERSION, SongAnalysis, analyse_with_hpcp
from model.audio import decode, duration
from model.embed import Embedder
from model.errors import Conflict, TooLarge, UndecodableAudio
from model.pipeline import Analysis, Progress, analyse_signal

log = logging.getLogger(__name__)

MIME = {
    ".m4a": "audio/mp4",
    ".mp4": "audio/mp4",
    ".webm": "audio/webm",
    ".opus": "audio/ogg",
    ".ogg": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".aac": "audio/aac",
}
STAGE_SPAN = {
    "downloading": (0, 40),
    "decoding": (40, 45),
    "extracting": (45, 80),
    "embedding": (80, 85),
    "analysing": (85, 97),
}
ANALYSIS_KIND = f"analysis/v{ANALYSIS_VERSION}"


def store_analysis(analysis: SongAnalysis, *, store: FeatureStore) -> str:
    """Store a song's analysis under its content key ``analysis/v<version>/<sha256>.npz``."""
    data = analysis.to_bytes()
    key = content_key(ANALYSIS_KIND, data, ".npz")
    store.put(key, data)
    return key


def analyse_song(
    y: np.ndarray, embedder: Embedder, *, progress: Progress | None = None
) -> tuple[Analysis, SongAnalysis]:
    """The HPCP and embedding of a decoded song, and its scorer analysis from the same HPCP."""
    analysis = analyse_signal(y, embedder, progress=progress)
    if progress:
        progress("analysing", 0.0)
    scored = analyse_with_hpcp(
        y, analysis.chroma, embedding=analysis.embedding, embedding_version=embedder.version
    )
    return analysis, scored


def mime_for(suffix: str) -> str:
    return MIME.get(suffix.lower(), "application/octet-stream")


def analyse_and_store(
    path: Path,
    meta: SongMeta,
    report: Report,
    *,
    settings: Settings,
    songs: SongRepository,
    store: FeatureStore,
    embedder: Embedder,
) -> Song:
    """Decode, analyse, store features and audio, insert the song; returns the song document."""
    report("extracting", STAGE_SPAN["decoding"][0])
    y = decode(path, max_seconds=settings.max_duration_s + 1.0)
    seconds = duration(y)
    if seconds > settings.max_duration_s:
        raise TooLarge(f"The audio is longer than the {settings.max_duration_s:.0f} s limit.")

    def stage(name: str, fraction: float) -> None:
        lo, hi = STAGE_SPAN.get(name, (45, 95))
        report(name if name != "decoding" else "extracting", lo + (hi - lo) * fraction)

    analysis, scored = analyse_song(y, embedder, progress=stage)
    analysis_key = store_analysis(scored, store=store)
    audio = path.read_bytes()
    hpcp_bytes = array_bytes(analysis.chroma)
    hpcp_key = content_key("hpcp", hpcp_bytes, ".npy")
    audio_key = content_key("audio", audio, path.suffix.lower())
    store.put(hpcp_key, hpcp_bytes)
    store.put(audio_key, audio)
    report("analysing", 97)
    song: NewSong = {
        **meta,
        "duration": round(seconds, 2),
        "model_version": embedder.version,
        "hpcp_key": hpcp_key,
        "audio_key": audio_key,
        "audio_mime": mime_for(path.suffix),
        "analysis_key": analysis_key,
        "analysis_version": ANALYSIS_VERSION,
    }
    return songs.insert(song, analysis.embedding)


def ingest_url(
    job: Job,
    report: Report,
    *,
    settings: Settings,
    songs: SongRepository,
    store: FeatureStore,
    embedder: Embedder,
) -> str:
    """Download ``job['payload']['url']`` and add it; returns the song id (existing if raced)."""
    payload = job["payload"]
    source: Source = validate_url(payload["url"], settings)
    existing = songs.by_video_id(source.video_id)
    if existing:
        return str(existing["_id"])
    report("downloading", 0)
    with scratch_folder(settings, prefix="coverscope-dl-") as tmp:
        got = download(
            source,
            settings,
            Path(tmp),
            progress=lambda f: report("downloading", STAGE_SPAN["downloading"][1] * f),
        )
        meta: SongMeta = {
            "title": payload.get("title") or got.title or source.url,
            "artist": payload.get("artist") or got.artist or "",
            "source": source.kind,
            "url": source.url,
            "video_id": source.video_id,
        }
        try:
            song = analyse_and_store(
                got.path,
                meta,
                report,
                settings=settings,
                songs=songs,
                store=store,
                embedder=embedder,
            )
        except Conflict:
            # Another worker finished the same video first: both jobs end on that song.
            winner = songs.by_video_id(source.video_id)
            if winner is None:
                raise
            return str(winner["_id"])
    return str(song["_id"])


def ingest_upload(
    job: Job,
    report: Report,
    *,
    settings: Settings,
    songs: SongRepository,
    store: FeatureStore,
    embedder: Embedder,
) -> str:
    """Analyse an uploaded file (parked in the feature store by the API) and add it; returns
    the song id (the existing one when a previous run of the job stored it)."""
    payload = job["payload"]
    suffix = Path(payload.get("filename") or "upload").suffix.lower()[:8] or ".bin"
    # The parked file's name starts with the content hash its song's audio key is named by.
    digest = PurePosixPath(payload["upload_key"]).name[:64]
    stored = songs.by_audio_key(f"audio/{digest}{suffix}")
    if stored is not None:
        store.delete(payload["upload_key"])
        return str(stored["_id"])
    report("downloading", 0)
    data = store.get(payload["upload_key"])
    with scratch_folder(settings, prefix="coverscope-up-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        report("downloading", STAGE_SPAN["downloading"][1])
        meta: SongMeta = {
            "title": payload.get("title")
            or title_from_filename(payload.get("filename") or "upload"),
            "artist": payload.get("artist") or "",
            "source": "upload",
            "url": None,
            "filename": payload.get("filename"),
        }
        try:
            song = analyse_and_store(
                path,
                meta,
                report,
                settings=settings,
                songs=songs,
                store=store,
                embedder=embedder,
            )
        except (UndecodableAudio, TooLarge):
            store.delete(payload["upload_key"])  # permanent: do not keep the bytes
            raise
    store.delete(payload["upload_key"])
    return str(song["_id"])
