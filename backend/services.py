"""Everything a request or a job needs, built once from ``Settings`` (never at import time)."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backend.db import connect
from backend.job_repository import JobRepository
from backend.listing import Listing
from backend.repository import SongRepository
from backend.settings import Settings
from backend.store import FeatureStore, GCSStore, open_store
from model.embed import Embedder
from model.errors import StorageUnavailable
from model.verdict import Calibration

if TYPE_CHECKING:
    from backend.jobs import Queue
    from backend.search import SearchIndex

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    songs: SongRepository
    jobs: JobRepository
    store: FeatureStore
    listing: Listing | None = None
    queue: Queue | None = None
    index: SearchIndex | None = None
    _embedder: Embedder | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def embedder(self) -> Embedder:
        """The model, loaded on first use (``MODEL_PATH`` or the shipped checkpoint)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = Embedder.load(self.settings.model_path)
                log.info("model %s loaded", self._embedder.version)
            return self._embedder

    def calibration(self) -> Calibration:
        """The model's calibration with the threshold an operator may have set."""
        base = self.embedder.calibration
        stored = self.songs.model_settings()
        if stored.get("model_version") == self.embedder.version and "threshold" in stored:
            return Calibration(
                threshold=float(stored["threshold"]), slope=base.slope, midpoint=base.midpoint
            )
        return base


def build_services(settings: Settings) -> Services:
    """Connect to the database and the feature store named by ``settings``."""
    if not settings.mongodb_uri:
        raise StorageUnavailable("no database configured (MONGODB_URI)")
    db = connect(settings.mongodb_uri, settings)
    songs = SongRepository(db)
    services = Services(
        settings=settings,
        songs=songs,
        listing=Listing(songs),
        jobs=JobRepository(db),
        store=open_store(
            settings.feature_store,
            default_root=settings.feature_dir,
            timeout=settings.store_timeout_s,
        ),
    )
    try:
        if isinstance(services.store, GCSStore) and os.environ.get("STORAGE_EMULATOR_HOST"):
            services.store.ensure_bucket()
    except StorageUnavailable as exc:
        log.warning("feature bucket not ready: %s", exc.message)
    try:
        services.songs.ensure_indexes()
        services.jobs.ensure_indexes()
    except StorageUnavailable:
        log.warning("database unreachable at start-up; indexes will be created on a later start")
    return services
