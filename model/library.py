"""The library's neighbour graph: pair scores kept at ingest, diffusion at query time, groups.

When a song is added, its first-stage candidates (``model.first_stage``) are scored with the
fused scorer (``score_candidates``) and the edges are kept both directions (``LibraryGraph``).
Ranking a library song diffuses the scores of its neighbourhood (``graph_ranking``: late fusion
on the small matrix of the song, its neighbours and the edges among them); verdicts stay those
of the pair scores. Cover groups (``cover_groups``) hold songs whose every pair is a confirmed
cover edge, so a chain a~b~c never makes a group unless a~c is confirmed too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from model.analysis import SongAnalysis
from model.errors import InvalidInput
from model.rerank import diffuse
from model.score import PairScore, ScorerConfig, score_pair


@dataclass(frozen=True)
class Edge:
    """One direction of a scored pair: ``target`` is the other song, ``fused`` the pair's fused
    score (larger = more alike), ``components`` its raw components (``model.score``)."""

    target: str
    fused: float
    components: dict[str, float]

    @classmethod
    def from_score(cls, target: str, score: PairScore) -> Edge:
        return cls(target=target, fused=score.fused, components=dict(score.components))


EMPTY_ROW: dict[str, Edge] = {}


class LibraryGraph:
    """In-memory neighbour graph: song id -> {neighbour id: Edge}, always symmetric.

    Every song added is a node, with or without edges; an edge added again replaces the old one
    (a rescored pair), in both directions."""

    def __init__(self) -> None:
        self._adjacency: dict[str, dict[str, Edge]] = {}

    def __contains__(self, song_id: object) -> bool:
        return song_id in self._adjacency

    def __len__(self) -> int:
        return len(self._adjacency)

    def songs(self) -> list[str]:
        return list(self._adjacency)

    def add(self, song_id: str, edges: Iterable[tuple[str, PairScore | Edge]] = ()) -> None:
        """Add ``song_id`` (if new) and its scored pairs ``(other id, score)``, both directions."""
        own = self._adjacency.setdefault(song_id, {})
        for other, score in edges:
            if other == song_id:
                raise InvalidInput(f"song {song_id!r} cannot be its own neighbour")
            fused = score.fused
            components = dict(score.components)
            own[other] = Edge(target=other, fused=fused, components=components)
            self._adjacency.setdefault(other, {})[song_id] = Edge(
                target=song_id, fused=fused, components=dict(components)
            )

    def remove(self, song_id: str) -> None:
        """Remove a song and every edge to or from it (nothing when it is not in the graph)."""
        for other in self._adjacency.pop(song_id, {}):
            self._adjacency.get(other, {}).pop(song_id, None)

    def neighbours(self, song_id: str) -> dict[str, Edge]:
        """The song's edges by neighbour id (empty for an unknown song): a copy."""
        return dict(self.row(song_id))

    def row(self, song_id: str) -> Mapping[str, Edge]:
        """The song's edges by neighbour id, as a read-only view (no copy) that follows the
        graph: read it while the graph does not change."""
        return MappingProxyType(self._adjacency.get(song_id, EMPTY_ROW))

    def edge(self, a: str, b: str) -> Edge | None:
        return self._adjacency.get(a, {}).get(b)

    def edges(self) -> Iterator[tuple[str, str, Edge]]:
        """Each undirected edge once, as (a, b, edge from a to b), in insertion order of a."""
        seen: set[str] = set()
        for a, row in self._adjacency.items():
            seen.add(a)
            for b, edge in row.items():
                if b not in seen:
                    yield a, b, edge


def score_candidates(
    query: SongAnalysis,
    others: Sequence[tuple[str, SongAnalysis]],
    *,
    config: ScorerConfig,
) -> list[tuple[str, PairScore]]:
    """The fused score of ``query`` (song A) against each candidate ``(id, analysis)``."""
    return [(song_id, score_pair(query, other, config=config)) for song_id, other in others]


def neighbourhood_components(
    song_id: str, graph: LibraryGraph, *, names: Sequence[str]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The song followed by its neighbours, and for each component name the (n, n) matrix of the
    raw values of the edges among them (NaN where no edge was scored, and on the diagonal)."""
    nodes = [song_id, *graph.row(song_id)]
    index = {s: i for i, s in enumerate(nodes)}
    n = len(nodes)
    cells: list[int] = []
    values: list[list[float]] = []
    for i, a in enumerate(nodes):
        for b, edge in graph.row(a).items():
            j = index.get(b)
            if j is not None:
                cells.append(i * n + j)
                values.append([edge.components.get(c, math.nan) for c in names])
    found = np.asarray(values, dtype=np.float64).reshape(len(cells), len(names))
    found[~np.isfinite(found)] = np.nan
    matrices = {}
    for column, c in enumerate(names):
        matrix = np.full(n * n, np.nan)
        matrix[cells] = found[:, column]
        matrices[c] = matrix.reshape(n, n)
    return nodes, matrices


def graph_ranking(
    song_id: str, graph: LibraryGraph, *, config: ScorerConfig
) -> list[tuple[str, float, Edge]]:
    """Neighbours of ``song_id`` ordered by their diffused score, best first: ``(id, diffused,
    the pair's Edge)``. Late fusion (``model.rerank.diffuse``) runs on the neighbourhood only
    (the song, its neighbours and the edges among them) with the config's diffusion settings,
    ``k`` clipped to the neighbourhood; ties fall back to the pair's fused score."""
    neighbours = graph.row(song_id)
    if not neighbours:
        return []
    names = list(config.diffusion.get("components", config.components))
    nodes, matrices = neighbourhood_components(song_id, graph, names=names)
    k = min(int(config.diffusion.get("k", 20)), len(nodes) - 1)
    local = dataclasses.replace(config, diffusion={**config.diffusion, "k": k})
    fused = diffuse(matrices, config=local)
    rows = [(b, float(fused[0, j]), neighbours[b]) for j, b in enumerate(nodes) if j > 0]
    rows.sort(key=lambda row: (-row[1], -row[2].fused))
    return rows


def cover_groups(graph: LibraryGraph, *, threshold: float) -> list[list[str]]:
    """Groups of songs every pair of which is a confirmed edge (fused >= ``threshold``).

    Greedy complete linkage, strongest edge first: an edge joins its two songs' groups only when
    every song of one group is confirmed with every song of the other, so a chain of confirmed
    edges never joins songs that are not themselves confirmed. Groups of >= 2 songs, each sorted,
    largest first (then by their first id)."""
    confirmed = sorted(
        ((edge.fused, a, b) for a, b, edge in graph.edges() if edge.fused >= threshold),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    group_of: dict[str, int] = {}
    members: dict[int, set[str]] = {}
    for number, (_, a, b) in enumerate(confirmed):
        ga, gb = group_of.get(a), group_of.get(b)
        if ga is not None and ga == gb:
            continue
        left = members[ga] if ga is not None else {a}
        right = members[gb] if gb is not None else {b}
        if not all(_confirmed(graph, x, y, threshold) for x in left for y in right):
            continue
        for old in (ga, gb):
            if old is not None:
                del members[old]
        members[number] = left | right
        for song in members[number]:
            group_of[song] = number
    groups = [sorted(m) for m in members.values() if len(m) >= 2]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def _confirmed(graph: LibraryGraph, a: str, b: str, threshold: float) -> bool:
    edge = graph.edge(a, b)
    return edge is not None and edge.fused >= threshold


def rank_library(
    song_id: str, graph: LibraryGraph, *, config: ScorerConfig, first_stage: Iterable[str]
) -> list[str]:
    """The whole ranking of a library song: its neighbours by ``graph_ranking``, then the other
    songs in ``first_stage`` order (e.g. by embedding distance), the song itself left out."""
    ranking = [s for s, _, _ in graph_ranking(song_id, graph, config=config)]
    seen = {song_id, *ranking}
    for other in first_stage:
        if other not in seen:
            seen.add(other)
            ranking.append(other)
    return ranking
