"""The model: the embedding and the fused scorer with its calibration, evaluation figures; set
the verdict threshold; re-embed or re-analyse the library."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from apiflask import APIBlueprint

from backend.api import schemas
from backend.api.components import components
from backend.api.serialize import job_out
from backend.search.calibration import set_threshold as store_threshold
from backend.storage.edge_repository import graph_stamp
from model.analysis import ANALYSIS_VERSION
from model.score import ScorerConfig

log = logging.getLogger(__name__)

bp = APIBlueprint("model", __name__, url_prefix="/api/model", tag="Model")


def evaluation_figures(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Benchmarks and curves from whatever ``*.json`` the evaluation left (none is fine)."""
    benchmarks: dict[str, Any] = {}
    curves: dict[str, Any] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            log.warning("skipping %s: %s", path, exc)
            continue
        if not isinstance(data, dict):
            continue
        found = data.pop("curves", None)
        # The verdict rests on the embedding distance: prefer that method's curves.
        if isinstance(found, dict) and (not curves or data.get("method") == "embedding"):
            curves = {"thresholds": [], **found}
        benchmarks[path.stem] = data
    return benchmarks, curves


def scorer_info(config: ScorerConfig, *, shipped: ScorerConfig) -> dict[str, Any]:
    """The scorer in force: its choices, threshold (check's scale and fused scale), calibration."""
    return {
        "version": config.version,
        "components": list(config.components),
        "weights": config.weights,
        "stats": {k: list(v) for k, v in config.stats.items()},
        "threshold": -config.threshold,
        "default_threshold": -shipped.threshold,
        "fused_threshold": config.threshold,
        "probability": config.probability,
        "provenance": config.provenance,
        "curve": config.curve,
    }


def model_info() -> dict[str, Any]:
    s = components()
    embedder = s.embedder
    calibration = s.calibration()
    scorer = s.scorer_config()
    benchmarks, curves = evaluation_figures(s.settings.evaluation_dir)
    return {
        "version": embedder.version,
        "threshold": -scorer.threshold,
        "calibration": calibration.to_dict(),
        "config": embedder.network.config.to_dict(),
        "training": dict(embedder.extra.get("training", {}))
        if isinstance(embedder.extra.get("training"), dict)
        else {},
        "benchmarks": benchmarks,
        "curves": curves,
        "stale_songs": s.songs.count_stale(embedder.version),
        "scorer": scorer_info(scorer, shipped=s.scorer),
        "songs_without_analysis": s.songs.count_without_analysis(ANALYSIS_VERSION),
    }


@bp.get("")
@bp.output(schemas.Model)
def get_model() -> dict[str, Any]:
    return model_info()


@bp.put("/threshold")
@bp.input(schemas.Threshold, arg_name="body")
@bp.output(schemas.Model)
def set_threshold(body: dict[str, Any]) -> dict[str, Any]:
    s = components()
    store_threshold(scorer=s.scorer, songs=s.songs, threshold=float(body["threshold"]))
    return model_info()


@bp.post("/reembed")
@bp.output(schemas.JobOut, status_code=202)
def reembed() -> dict[str, Any]:
    added = components().intake.schedule_reembed(force=True)
    assert added.job is not None
    return {"job": job_out(added.job)}


@bp.post("/backfill")
@bp.output(schemas.JobOut, status_code=202)
@bp.doc(summary="Analyse every song that lacks a current scorer analysis (from stored audio)")
def backfill() -> dict[str, Any]:
    added = components().intake.schedule_backfill(force=True)
    assert added.job is not None
    return {"job": job_out(added.job)}


@bp.post("/graph")
@bp.output(schemas.JobOut, status_code=202)
@bp.doc(
    summary="Rescore the neighbour graph: every song's first-stage candidates scored anew",
    description="Runs by itself when the scorer or the embedding model changes; a `rebuild_graph`"
    " job with progress.",
)
def rebuild_graph() -> dict[str, Any]:
    c = components()
    stamp = graph_stamp(scorer_version=c.scorer.version, model_version=c.embedder.version)
    added = c.intake.schedule_graph(c.edges, stamp, force=True)
    assert added.job is not None
    return {"job": job_out(added.job)}
