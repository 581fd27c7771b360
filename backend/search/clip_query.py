"""A clip query, run as a job: decode and analyse the uploaded clip, take its first-stage
candidates, score them with the fused scorer (and the confirmed versions of those it is
confirmed with, ``Linker.score``) and order them by diffusion over the clip's
neighbourhood (the candidates' stored edges included), then the embedding order beyond.

The job keeps song ids and scores (``JobResult.ranking``); ``GET /api/rank/clips/<job>`` turns
them into a ranking with the verdicts of the scorer in force when it is read.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from backend.ingest.analyse import analyse_song
from backend.ingest.linking import Linker
from backend.ingest.scratch import scratch_folder
from backend.jobs.queue import Report
from backend.search.graph_index import GraphIndex
from backend.search.graph_rank import (
    GraphRanked,
    clip_neighbourhood,
    first_stage_entry,
    graph_entry,
)
from backend.search.snapshot import Snapshot
from backend.settings import Settings
from backend.storage.documents import ClipHit, Job
from backend.storage.feature_store import FeatureStore
from backend.storage.job_repository import JobRepository
from model.audio import decode
from model.embed import Embedder
from model.errors import Conflict, NotFound, UndecodableAudio
from model.library import graph_ranking
from model.score import ScorerConfig

CLIP = "clip"
"""The clip's node in its neighbourhood graph (not an ObjectId, so never a library song)."""
SPAN = {"decoding": (0, 10), "analysing": (10, 70), "first stage": (70, 80), "scoring": (80, 99)}


def rank_clip(
    job: Job,
    report: Report,
    *,
    settings: Settings,
    store: FeatureStore,
    embedder: Embedder,
    linker: Linker,
    graph: GraphIndex,
    jobs: JobRepository,
) -> None:
    """Runner of a ``rank_clip`` job: the clip's ranking goes to the job's result."""
    payload = job["payload"]
    report("decoding", 0)
    data = store.get(payload["upload_key"])
    suffix = Path(payload.get("filename") or "clip").suffix.lower()[:8] or ".bin"
    with scratch_folder(settings, prefix="coverscope-clip-") as tmp:
        path = Path(tmp) / f"clip{suffix}"
        path.write_bytes(data)
        try:
            y = decode(path, max_seconds=settings.max_duration_s)
        except UndecodableAudio:
            store.delete(payload["upload_key"])  # permanent: do not keep the bytes
            raise

    def stage(name: str, fraction: float) -> None:
        lo, hi = SPAN["analysing"]
        report("analysing", lo + (hi - lo) * fraction)

    _, query = analyse_song(y, embedder, progress=stage)
    assert query.embedding is not None
    report("first stage", SPAN["first stage"][0])
    chosen = linker.candidates(query)
    report("scoring", SPAN["scoring"][0])
    scored = linker.score(query, chosen)
    ordered = graph.read(
        lambda g: graph_ranking(CLIP, clip_neighbourhood(CLIP, scored, g), config=linker.scorer)
    )
    snap = linker.index.snapshot()
    vector = np.asarray(query.embedding, dtype=np.float32)
    ranking: list[ClipHit] = []
    for other, diffused, edge in ordered:
        pos = snap.positions.get(other)
        if pos is None:
            continue
        distance = float(np.sqrt(max(0.0, 2.0 - 2.0 * float(snap.matrix[pos] @ vector))))
        ranking.append(
            {
                "song_id": other,
                "source": "graph",
                "distance": distance,
                "diffused": diffused,
                "fused": edge.fused,
                "components": {
                    name: value if math.isfinite(value) else None
                    for name, value in edge.components.items()
                },
            }
        )
    limit = int(payload.get("limit", 50))
    del ranking[limit:]
    taken = {hit["song_id"] for hit in ranking}
    for doc, distance in linker.index.nearest(vector, limit=limit + len(taken), snap=snap):
        if len(ranking) >= limit:
            break
        if str(doc["_id"]) not in taken:
            ranking.append(
                {
                    "song_id": str(doc["_id"]),
                    "source": "first_stage",
                    "distance": distance,
                    "diffused": None,
                    "fused": None,
                    "components": None,
                }
            )
    jobs.set_result(job["_id"], {"ranking": ranking})
    store.delete(payload["upload_key"])
    if claim := payload.get("claim"):
        jobs.release(claim, job["_id"])


def clip_ranking(job: Job) -> list[ClipHit]:
    """The stored ranking of a finished ``rank_clip`` job; ``NotFound`` for another kind of
    job, ``Conflict`` while it runs or when it failed."""
    if job["kind"] != "rank_clip":
        raise NotFound(f"Job {job['_id']} is not a clip query.")
    if job["status"] == "failed":
        raise Conflict(f"The clip query failed: {job.get('error') or 'unknown error'}")
    if job["status"] != "done":
        raise Conflict(f"The clip query is {job['status']} ({job['progress']} %); poll the job.")
    return list((job.get("result") or {}).get("ranking", []))


def ranked_hits(
    hits: list[ClipHit], *, snap: Snapshot, config: ScorerConfig, limit: int
) -> list[GraphRanked]:
    """Stored hits as ranking entries, verdicts under ``config``; songs deleted (or awaiting
    re-embedding) since are left out."""
    out: list[GraphRanked] = []
    for hit in hits:
        pos = snap.positions.get(hit["song_id"])
        if pos is None:
            continue
        song = snap.songs[pos]
        if hit["source"] == "graph" and hit["fused"] is not None:
            entry = graph_entry(
                song,
                distance=hit["distance"],
                diffused=float(hit["diffused"] or 0.0),
                components={
                    name: math.nan if value is None else value
                    for name, value in (hit["components"] or {}).items()
                },
                fused=hit["fused"],
                config=config,
            )
        else:
            entry = first_stage_entry(song, distance=hit["distance"], calibration=snap.calibration)
        out.append(entry)
    return out[:limit]
