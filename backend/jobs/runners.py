"""Which function runs each job kind, bound to the storage, model and queue of this process, and
the queue built with them."""

from __future__ import annotations

from dataclasses import dataclass

from backend.ingest.analyse import ingest_upload, ingest_url
from backend.ingest.backfill import backfill_analyses
from backend.ingest.intake import Intake
from backend.ingest.linking import SHORTLIST_CACHE, Linker
from backend.ingest.reembed import reembed_all
from backend.ingest.relink import rebuild_graph
from backend.jobs.queue import Queue, Report, Runner
from backend.search.clip_query import rank_clip
from backend.search.graph_index import GraphIndex
from backend.search.song_features import AnalysisCache
from backend.search.vector_index import VectorIndex
from backend.settings import Settings
from backend.storage.connect import Storage
from backend.storage.documents import Job
from model.embed import Embedder
from model.score import ScorerConfig


@dataclass(frozen=True)
class Searching:
    """What a worker searches the library with: the vector index, the graph and the linker,
    each checking the database on every use (a worker runs one job at a time per thread)."""

    index: VectorIndex
    graph: GraphIndex
    linker: Linker


def worker_search(storage: Storage, embedder: Embedder, scorer: ScorerConfig) -> Searching:
    index = VectorIndex(
        storage.songs, embedder.version, lambda: embedder.calibration, check_every=0.0
    )
    linker = Linker(
        songs=storage.songs,
        edges=storage.edges,
        index=index,
        analyses=AnalysisCache(storage.store, size=SHORTLIST_CACHE),
        scorer=scorer,
        model_version=embedder.version,
    )
    return Searching(index=index, graph=GraphIndex(storage.edges, check_every=0.0), linker=linker)


def job_runners(
    settings: Settings, storage: Storage, embedder: Embedder, queue: Queue
) -> dict[str, Runner]:
    """``{kind: runner}`` for every job kind the API creates; ``queue`` takes the jobs a
    playlist expands into."""
    intake = Intake(
        settings=settings,
        songs=storage.songs,
        jobs=storage.jobs,
        store=storage.store,
        queue=queue,
        model_version=embedder.version,
    )
    search = worker_search(storage, embedder, ScorerConfig.load(settings.scorer_path))
    linker = search.linker

    def linked(report: Report, song_id: str) -> str:
        report("linking", 98)
        linker.link(song_id)
        return song_id

    def url(job: Job, report: Report) -> str:
        song_id = ingest_url(
            job,
            report,
            settings=settings,
            songs=storage.songs,
            store=storage.store,
            embedder=embedder,
        )
        return linked(report, song_id)

    def upload(job: Job, report: Report) -> str:
        song_id = ingest_upload(
            job,
            report,
            settings=settings,
            songs=storage.songs,
            store=storage.store,
            embedder=embedder,
        )
        return linked(report, song_id)

    def reembed(job: Job, report: Report) -> None:
        reembed_all(job, report, songs=storage.songs, store=storage.store, embedder=embedder)
        intake.schedule_graph(storage.edges, linker.stamp)

    def playlist(job: Job, report: Report) -> None:
        intake.expand_playlist(job, report)

    def backfill(job: Job, report: Report) -> None:
        backfill_analyses(
            job,
            report,
            settings=settings,
            songs=storage.songs,
            jobs=storage.jobs,
            store=storage.store,
            embedder=embedder,
            analysed=linker.link,
        )

    def rebuild(job: Job, report: Report) -> None:
        rebuild_graph(job, report, linker=linker, jobs=storage.jobs)

    def clip(job: Job, report: Report) -> None:
        rank_clip(
            job,
            report,
            settings=settings,
            store=storage.store,
            embedder=embedder,
            linker=linker,
            graph=search.graph,
            jobs=storage.jobs,
        )

    return {
        "ingest_url": url,
        "ingest_upload": upload,
        "reembed": reembed,
        "expand_playlist": playlist,
        "backfill_analyses": backfill,
        "rebuild_graph": rebuild,
        "rank_clip": clip,
    }


def build_queue(settings: Settings, storage: Storage, embedder: Embedder) -> Queue:
    """The queue with a runner for every job kind, on this process's storage and model."""
    return Queue(
        settings,
        jobs=storage.jobs,
        store=storage.store,
        runners=lambda queue: job_runners(settings, storage, embedder, queue),
    )
