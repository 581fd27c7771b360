"""Liveness of the service and its storage, and library counters."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from backend.api import schemas
from backend.api.components import components
from model.errors import CoverscopeError

bp = APIBlueprint("health", __name__, url_prefix="/api", tag="Health")


@bp.get("/health")
@bp.output(schemas.Health)
@bp.doc(responses={503: "The database or the feature store is unreachable"})
def health() -> tuple[dict[str, Any], int]:
    s = components()
    out = {"status": "ok", "db": "ok", "store": "ok", "model_version": s.embedder.version}
    for name, ping in (("db", s.songs.ping), ("store", s.store.ping)):
        try:
            ping()
        except CoverscopeError as exc:
            out[name] = exc.message
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
        "index": {"songs": len(snap.songs), "library_version": snap.version},
    }
