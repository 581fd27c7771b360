"""The storage a process needs, opened once from ``Settings`` (never at import time)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from backend.settings import Settings
from backend.storage.db import connect
from backend.storage.edge_repository import EdgeRepository
from backend.storage.feature_store import FeatureStore, GCSStore, open_store
from backend.storage.job_repository import JobRepository
from backend.storage.song_repository import SongRepository
from model.errors import StorageUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Storage:
    """Song documents, job records, the feature store and the neighbour graph of one deployment."""

    songs: SongRepository
    jobs: JobRepository
    store: FeatureStore
    edges: EdgeRepository


def open_storage(settings: Settings) -> Storage:
    """Connect to the database and the feature store named by ``settings``."""
    if not settings.mongodb_uri:
        raise StorageUnavailable("no database configured (MONGODB_URI)")
    db = connect(settings.mongodb_uri, settings)
    storage = Storage(
        songs=SongRepository(db),
        jobs=JobRepository(db),
        store=open_store(
            settings.feature_store,
            default_root=settings.feature_dir,
            timeout=settings.store_timeout_s,
        ),
        edges=EdgeRepository(db),
    )
    try:
        if isinstance(storage.store, GCSStore) and os.environ.get("STORAGE_EMULATOR_HOST"):
            storage.store.ensure_bucket()
    except StorageUnavailable as exc:
        log.warning("feature bucket not ready: %s", exc.message)
    try:
        storage.songs.ensure_indexes()
        storage.jobs.ensure_indexes()
        storage.edges.ensure_indexes()
    except StorageUnavailable:
        log.warning("database unreachable at start-up; indexes will be created on a later start")
    return storage
