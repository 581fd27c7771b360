"""Ranking through the neighbour graph: a song's scored neighbours first, ordered by diffusion
(``model.library.graph_ranking``), then the rest of the library in first-stage (embedding)
order. Each result says where its place came from (``source``): ``graph`` results carry the
verdict of their pair's fused score, ``first_stage`` results the embedding's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NotRequired

import numpy as np

from backend.search.graph_index import GraphIndex
from backend.search.ranking import Ranked, similarity
from backend.search.snapshot import Snapshot
from backend.search.vector_index import VectorIndex
from backend.storage.documents import Song
from model.library import Edge, LibraryGraph, graph_ranking
from model.score import PairScore, ScorerConfig, component_table, fuse, probability
from model.verdict import Calibration

Source = Literal["graph", "first_stage"]


class GraphRanked(Ranked):
    """A ranked song with the origin of its place and, from the graph, its diffused score."""

    source: Source
    diffused: NotRequired[float]


def pair_verdict(
    components: Mapping[str, float], fused: float, *, config: ScorerConfig
) -> PairScore:
    """The verdict on a stored pair under ``config`` (the operator's threshold included): from
    its raw components when they hold the config's, else from the stored fused score."""
    if all(c in components for c in config.components):
        return fuse(components, config=config)
    return PairScore(
        components=dict(components),
        normalised={},
        fused=fused,
        is_cover=fused >= config.threshold,
        probability=probability(fused, config=config),
    )


def graph_entry(
    song: Song,
    *,
    distance: float,
    diffused: float,
    components: Mapping[str, float],
    fused: float,
    config: ScorerConfig,
) -> GraphRanked:
    score = pair_verdict(components, fused, config=config)
    entry: GraphRanked = {
        "song": song,
        "distance": round(distance, 4),
        "similarity": similarity(distance),
        "is_cover": score.is_cover,
        "probability": round(score.probability, 4),
        "fused": round(score.fused, 4),
        "components": component_table(score, config=config),
        "source": "graph",
        "diffused": round(diffused, 6),
    }
    qmax = components.get("qmax")
    if qmax is not None and math.isfinite(qmax):
        entry["alignment_distance"] = round(math.exp(-qmax), 4)
    return entry


def first_stage_entry(song: Song, *, distance: float, calibration: Calibration) -> GraphRanked:
    return {
        "song": song,
        "distance": round(distance, 4),
        "similarity": similarity(distance),
        "is_cover": calibration.is_cover(distance),
        "probability": round(calibration.probability(distance), 4),
        "source": "first_stage",
    }


def embedding_distance(snap: Snapshot, vector: np.ndarray, pos: int) -> float:
    return float(np.sqrt(max(0.0, 2.0 - 2.0 * float(snap.matrix[pos] @ vector))))


def continue_with_first_stage(
    head: list[GraphRanked],
    vector: np.ndarray,
    *,
    index: VectorIndex,
    snap: Snapshot,
    limit: int,
    exclude: str | None,
) -> list[GraphRanked]:
    """``head`` followed by the embedding order beyond it, ``limit`` results in all."""
    head = head[:limit]
    taken = {str(e["song"]["_id"]) for e in head}
    hits = index.nearest(vector, limit=limit + len(taken), exclude=exclude, snap=snap)
    rest = [(doc, d) for doc, d in hits if str(doc["_id"]) not in taken][: limit - len(head)]
    tail = [first_stage_entry(doc, distance=d, calibration=snap.calibration) for doc, d in rest]
    return head + tail


def rank_library_song(
    song_id: str,
    vector: np.ndarray,
    *,
    index: VectorIndex,
    graph: GraphIndex,
    config: ScorerConfig,
    limit: int,
) -> tuple[list[GraphRanked], Calibration]:
    """The library ranked for one of its songs: its graph neighbours by diffused score, then
    the embedding order."""
    snap = index.snapshot()
    ordered = graph.read(lambda g: graph_ranking(song_id, g, config=config))
    head = graph_entries(((s, d, e) for s, d, e in ordered), vector, snap=snap, config=config)
    results = continue_with_first_stage(
        head, vector, index=index, snap=snap, limit=limit, exclude=song_id
    )
    return results, snap.calibration


def graph_entries(
    ordered: Iterable[tuple[str, float, Edge]],
    vector: np.ndarray,
    *,
    snap: Snapshot,
    config: ScorerConfig,
) -> list[GraphRanked]:
    """Graph results for songs of the index's snapshot (a neighbour awaiting re-embedding or
    deleted since is left out)."""
    out: list[GraphRanked] = []
    for other, diffused, edge in ordered:
        pos = snap.positions.get(other)
        if pos is None:
            continue
        out.append(
            graph_entry(
                snap.songs[pos],
                distance=embedding_distance(snap, vector, pos),
                diffused=diffused,
                components=edge.components,
                fused=edge.fused,
                config=config,
            )
        )
    return out


def clip_neighbourhood(
    query: str, scored: Sequence[tuple[str, PairScore]], graph: LibraryGraph
) -> LibraryGraph:
    """A small graph of a clip (node ``query``), its scored candidates and the stored edges
    among those candidates: what diffusion needs to rank a clip like a library song."""
    local = LibraryGraph()
    local.add(query, scored)
    members = {other for other, _ in scored}
    for other in members:
        local.add(other, [(n, e) for n, e in graph.neighbours(other).items() if n in members])
    return local
