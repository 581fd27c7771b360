"""What the API's handlers use, built once per app from ``Settings`` with everything it needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

from backend.ingest.intake import Intake
from backend.jobs.queue import Queue
from backend.jobs.runners import build_queue
from backend.search.calibration import current_scorer
from backend.search.cpu_pool import CpuPool
from backend.search.graph_index import GraphIndex
from backend.search.library_map import MapCache
from backend.search.listing import Listing
from backend.search.pair_check import PRELOAD, PairChecker
from backend.search.song_features import AnalysisCache
from backend.search.vector_index import VectorIndex
from backend.settings import Settings
from backend.storage.connect import Storage, open_storage
from backend.storage.edge_repository import EdgeRepository
from backend.storage.feature_store import FeatureStore
from backend.storage.job_repository import JobRepository
from backend.storage.song_repository import SongRepository
from model.embed import Embedder
from model.score import ScorerConfig
from model.verdict import Calibration

log = logging.getLogger(__name__)

EXTENSION = "coverscope"


@dataclass(frozen=True)
class Components:
    settings: Settings
    songs: SongRepository
    jobs: JobRepository
    store: FeatureStore
    embedder: Embedder
    queue: Queue
    intake: Intake
    index: VectorIndex
    listing: Listing
    analyses: AnalysisCache
    checker: PairChecker
    """Pair checks on their own bounded pool of processes, results cached."""
    scorer: ScorerConfig
    """The shipped fused scorer (``SCORER_PATH``), without the operator's threshold."""
    edges: EdgeRepository
    graph: GraphIndex
    """The neighbour graph in memory, kept current like ``index``."""
    maps: MapCache

    def calibration(self) -> Calibration:
        """The embedding's own calibration: the verdicts of a ranking's first stage."""
        return self.embedder.calibration

    def scorer_config(self) -> ScorerConfig:
        """The fused scorer with the threshold an operator may have set (every verdict)."""
        return current_scorer(scorer=self.scorer, songs=self.songs)


def build_components(settings: Settings, *, index_check_every: float = 0.2) -> Components:
    """Open the storage, load the model (``MODEL_PATH`` or the shipped checkpoint), wire the
    queue, the intake and the vector index; ``index_check_every=0`` makes the index check the
    library version on every query (tests)."""
    storage: Storage = open_storage(settings)
    embedder = Embedder.load(settings.model_path)
    scorer = ScorerConfig.load(settings.scorer_path)
    log.info("model %s and scorer %s loaded", embedder.version, scorer.version)
    queue = build_queue(settings, storage, embedder)
    index = VectorIndex(
        storage.songs,
        embedder.version,
        lambda: embedder.calibration,
        check_every=index_check_every,
        store=storage.store,
    )
    analyses = AnalysisCache(storage.store)
    pool = CpuPool(processes=settings.check_processes, queue=settings.check_queue, preload=PRELOAD)
    return Components(
        settings=settings,
        songs=storage.songs,
        jobs=storage.jobs,
        store=storage.store,
        embedder=embedder,
        queue=queue,
        intake=Intake(
            settings=settings,
            songs=storage.songs,
            jobs=storage.jobs,
            store=storage.store,
            queue=queue,
            model_version=embedder.version,
        ),
        index=index,
        listing=Listing(storage.songs, index),
        analyses=analyses,
        checker=PairChecker(songs=storage.songs, analyses=analyses, pool=pool),
        scorer=scorer,
        edges=storage.edges,
        graph=GraphIndex(storage.edges, check_every=index_check_every),
        maps=MapCache(),
    )


def components() -> Components:
    """The components of the app handling this request."""
    found: Components = current_app.extensions[EXTENSION]
    return found
