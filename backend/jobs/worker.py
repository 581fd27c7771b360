"""A job worker process: ``python -m backend.jobs.worker [--workers N]`` (settings from the
environment).

Runs a Huey consumer over the configured queue (SQLite or Redis). Scale out by running more of
these processes (``docker compose up --scale worker=4``).
"""

from __future__ import annotations

import argparse
import logging
import sys

from backend.ingest.intake import Intake
from backend.jobs.liveness import keep_beating
from backend.jobs.runners import build_queue
from backend.settings import Settings
from backend.storage.connect import open_storage
from backend.storage.edge_repository import graph_stamp
from model.embed import Embedder
from model.errors import StorageUnavailable
from model.score import ScorerConfig

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coverscope-worker", description=__doc__)
    parser.add_argument("--workers", type=int, default=1, help="threads in this process")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s[worker]: %(message)s"
    )
    settings = Settings.from_env()
    storage = open_storage(settings)
    embedder = Embedder.load(settings.model_path)
    log.info("model %s loaded", embedder.version)
    queue = build_queue(settings, storage, embedder)
    intake = Intake(
        settings=settings,
        songs=storage.songs,
        jobs=storage.jobs,
        store=storage.store,
        queue=queue,
        model_version=embedder.version,
    )
    try:
        queue.reap()
        if (job := intake.schedule_reembed().job) is not None:
            log.info("model changed: re-embedding the library (job %s)", job["_id"])
        else:  # a re-embedding rebuilds the graph when it ends
            stamp = graph_stamp(
                scorer_version=ScorerConfig.load(settings.scorer_path).version,
                model_version=embedder.version,
            )
            if (job := intake.schedule_graph(storage.edges, stamp).job) is not None:
                log.info("scorer or model changed: rebuilding the graph (job %s)", job["_id"])
        if (job := intake.schedule_backfill().job) is not None:
            log.info("songs without a current analysis: backfilling (job %s)", job["_id"])
    except StorageUnavailable as exc:
        log.warning("could not check for orphaned or stale work: %s", exc.message)
    keep_beating(queue.huey)
    consumer = queue.huey.create_consumer(workers=max(1, args.workers), worker_type="thread")
    log.info("worker consuming %s with %d thread(s)", type(queue.huey).__name__, args.workers)
    consumer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
