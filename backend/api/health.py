"""Liveness of the service and its storage, and library counters."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from backend.api import schemas
from backend.api.components import components
from backend.api.contract import documents
from backend.jobs.liveness import worker_status
from model.errors import CoverscopeError

bp = APIBlueprint("health", __name__, url_prefix="/api", tag="Health")


@bp.get("/health")
@documents(
    responses={503: (schemas.Health, "The database, the feature store or the job queue is down")}
)
@bp.output(schemas.Health)
def health() -> tuple[dict[str, Any], int]:
    """Each dependency's state ("ok" or why not). The worker's is reported but does not make
    the answer 503: reads and searches work without one, and queued jobs wait for it."""
    s = components()
    out = {"status": "ok", "db": "ok", "store": "ok", "queue": "ok"}
    out["model_version"] = s.embedder.version
    for name, ping in (("db", s.songs.ping), ("store", s.store.ping)):
        try:
            ping()
        except CoverscopeError as exc:
            out[name] = exc.message
            out["status"] = "degraded"
    huey = s.queue.huey
    try:
        huey.storage.queue_size()
        out["worker"] = worker_status(huey)
    except Exception as exc:  # sqlite3 or redis errors, by backend
        out["queue"] = out["worker"] = f"job queue unreachable: {type(exc).__name__}"
        out["status"] = "degraded"
    return out, 200 if out["status"] == "ok" else 503


@bp.get("/stats")
@bp.output(schemas.Stats)
def stats() -> dict[str, Any]:
    s = components()
    snap = s.index.snapshot()
    return {
        "songs": s.songs.count(),
        "jobs": s.jobs.counts(),
        "model_version": s.embedder.version,
        "index": {
            "songs": len(snap.songs),
            "library_version": snap.version,
            "graph_version": s.graph.sync(),
        },
    }
