"""Rebuilding the neighbour graph after the scorer or the embedding model changed.

Every song embedded by the current model is linked again (``Linker.link``): pairs already
scored with the current stamp are kept, the others are scored anew. Until the job ends the
graph mixes old and new edges (ranking keeps working); at the end every edge of another stamp
and every document of a deleted song is dropped, and the stamp is recorded.
"""

from __future__ import annotations

import logging

from backend.ingest.linking import Linker
from backend.jobs.queue import Report
from backend.storage.documents import Job
from backend.storage.job_repository import JobRepository
from model.errors import NotFound

log = logging.getLogger(__name__)


def rebuild_graph(job: Job, report: Report, *, linker: Linker, jobs: JobRepository) -> None:
    """Link every current song again with the current stamp, then drop the stale edges."""
    ids = [str(doc["_id"]) for doc in linker.index.snapshot().songs]
    report("linking", 0)
    scored = 0
    for i, song_id in enumerate(ids):
        try:
            scored += linker.link(song_id)
        except NotFound:
            continue  # deleted while the job ran
        report("linking", 99.0 * (i + 1) / max(1, len(ids)))
    keep = {str(oid) for oid in linker.songs.ids()}
    dropped = linker.edges.drop_stale(linker.stamp, keep=keep)
    log.info("graph rebuilt: %d pairs scored, %d stale edges dropped", scored, dropped)
    jobs.set_result(job["_id"], {"linked": len(ids), "scored": scored})
