"""Re-embedding: every song's stored HPCP through the current model (no download, no decode)."""

from __future__ import annotations

import logging

from backend.jobs.queue import Report
from backend.storage.documents import Job
from backend.storage.feature_store import FeatureStore, bytes_array
from backend.storage.song_repository import SongRepository
from model.embed import Embedder
from model.errors import NotFound
from model.pipeline import reembed

log = logging.getLogger(__name__)


def reembed_all(
    job: Job,
    report: Report,
    *,
    songs: SongRepository,
    store: FeatureStore,
    embedder: Embedder,
) -> None:
    """Recompute every stale embedding from stored HPCP with the current model (no download)."""
    ids = songs.ids()
    report("embedding", 0)
    missing = 0
    for i, song_id in enumerate(ids):
        doc = songs.feature_ref(song_id)
        if doc is None or doc.get("model_version") == embedder.version:
            continue
        try:
            chroma = bytes_array(store.get(doc["hpcp_key"]))
        except NotFound:
            missing += 1
            log.warning("song %s has no stored HPCP; it keeps its old embedding", song_id)
            continue
        songs.set_embedding(song_id, reembed(chroma, embedder), embedder.version)
        if i % 10 == 0:
            report("embedding", 100.0 * (i + 1) / max(1, len(ids)))
    songs.bump()
    if missing:
        log.warning("re-embedding done; %d song(s) without stored features were skipped", missing)
