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
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.analysis import SongAnalysis
from model.errors import InvalidInput
from model.rerank import diffuse
from model.score import COMPONENTS, PairScore, ScorerConfig, score_pair


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


WIDTH = 1 + len(COMPONENTS)
"""Values kept per directed edge: the fused score, then each of ``COMPONENTS`` (NaN: absent)."""


def edge_values(score: PairScore | Edge) -> array[float]:
    """The ``WIDTH`` values kept for a scored pair (component names outside ``COMPONENTS``
    cannot be fused by any scorer config and are not kept)."""
    return array("d", [score.fused, *(score.components.get(c, math.nan) for c in COMPONENTS)])


class LibraryGraph:
    """In-memory neighbour graph: song id -> its scored neighbours, always symmetric.

    Every song added is a node, with or without edges; an edge added again replaces the old one
    (a rescored pair), in both directions.

    Kept compact, as every API process holds the whole library's graph: each song is a node
    number with two flat C arrays, its neighbours' node numbers (int32) and, per neighbour, the
    fused score and raw components (``WIDTH`` float64): 50 bytes per directed edge measured at
    100k songs x 20 edges, against ~520 for a dict of ``Edge`` objects per song
    (``benchmarks/api_graph.py --in-process``). ``Edge`` objects are made when asked for.
    """

    def __init__(self) -> None:
        self._node: dict[str, int] = {}
        """Song id -> node number, in the order songs were added."""
        self._ids: list[str] = []
        """Node number -> song id (``""`` for a free number)."""
        self._targets: list[array[int]] = []
        self._values: list[array[float]] = []
        self._free: list[int] = []
        """Numbers of removed songs, given to the next new songs."""

    def __contains__(self, song_id: object) -> bool:
        return song_id in self._node

    def __len__(self) -> int:
        return len(self._node)

    def songs(self) -> list[str]:
        return list(self._node)

    def _number(self, song_id: str) -> int:
        """The node number of ``song_id``, which becomes a node if it is not one."""
        node = self._node.get(song_id)
        if node is None:
            if self._free:
                node = self._free.pop()
                self._ids[node] = song_id
            else:
                node = len(self._ids)
                self._ids.append(song_id)
                self._targets.append(array("i"))
                self._values.append(array("d"))
            self._node[song_id] = node
        return node

    def _set(self, node: int, other: int, values: array[float]) -> None:
        """Set ``node``'s edge to ``other`` (added, or replaced when there is one)."""
        targets = self._targets[node]
        try:
            at = targets.index(other)
        except ValueError:
            targets.append(other)
            self._values[node].extend(values)
        else:
            self._values[node][at * WIDTH : (at + 1) * WIDTH] = values

    def _unset(self, node: int, other: int) -> None:
        targets = self._targets[node]
        try:
            at = targets.index(other)
        except ValueError:
            return
        del targets[at]
        del self._values[node][at * WIDTH : (at + 1) * WIDTH]

    def add(self, song_id: str, edges: Iterable[tuple[str, PairScore | Edge]] = ()) -> None:
        """Add ``song_id`` (if new) and its scored pairs ``(other id, score)``, both directions."""
        own = self._number(song_id)
        for other, score in edges:
            if other == song_id:
                raise InvalidInput(f"song {song_id!r} cannot be its own neighbour")
            values = edge_values(score)
            peer = self._number(other)
            self._set(own, peer, values)
            self._set(peer, own, values)

    def remove(self, song_id: str) -> None:
        """Remove a song and every edge to or from it (nothing when it is not in the graph)."""
        node = self._node.pop(song_id, None)
        if node is None:
            return
        for other in self._targets[node]:
            self._unset(other, node)
        self._targets[node] = array("i")
        self._values[node] = array("d")
        self._ids[node] = ""
        self._free.append(node)

    def _edge(self, node: int, at: int) -> Edge:
        values = self._values[node][at * WIDTH : (at + 1) * WIDTH]
        return Edge(
            target=self._ids[self._targets[node][at]],
            fused=values[0],
            components={
                c: v for c, v in zip(COMPONENTS, values[1:], strict=True) if not math.isnan(v)
            },
        )

    def neighbours(self, song_id: str) -> dict[str, Edge]:
        """The song's edges by neighbour id (empty for an unknown song)."""
        node = self._node.get(song_id)
        if node is None:
            return {}
        return {
            self._ids[other]: self._edge(node, at) for at, other in enumerate(self._targets[node])
        }

    def edge(self, a: str, b: str) -> Edge | None:
        node, other = self._node.get(a), self._node.get(b)
        if node is None or other is None:
            return None
        try:
            return self._edge(node, self._targets[node].index(other))
        except ValueError:
            return None

    def edges(self) -> Iterator[tuple[str, str, Edge]]:
        """Each undirected edge once, as (a, b, edge from a to b), in the order a was added."""
        seen: set[int] = set()
        for a, node in self._node.items():
            seen.add(node)
            for at, other in enumerate(self._targets[node]):
                if other not in seen:
                    yield a, self._ids[other], self._edge(node, at)

    def neighbourhood(
        self, song_id: str, *, names: Sequence[str]
    ) -> tuple[list[str], dict[str, np.ndarray]]:
        """The song followed by its neighbours, and for each component name the (n, n) matrix
        of the raw values of the edges among them (NaN where no edge was scored or the value is
        not finite, and on the diagonal)."""
        own = self._node.get(song_id)
        members = [] if own is None else [own, *self._targets[own]]
        position = {node: i for i, node in enumerate(members)}
        n = max(1, len(members))
        columns = [1 + COMPONENTS.index(c) if c in COMPONENTS else -1 for c in names]
        cells: list[np.ndarray] = []
        found: list[np.ndarray] = []
        for i, node in enumerate(members):
            local = np.array([position.get(other, -1) for other in self._targets[node]])
            keep = local >= 0
            if not keep.any():
                continue
            values = np.array(self._values[node], dtype=np.float64).reshape(-1, WIDTH)
            cells.append(i * n + local[keep])
            found.append(values[keep])
        flat = np.concatenate(cells) if cells else np.zeros(0, dtype=np.int64)
        rows = np.concatenate(found) if found else np.zeros((0, WIDTH))
        rows[~np.isfinite(rows)] = np.nan
        matrices = {}
        for c, column in zip(names, columns, strict=True):
            matrix = np.full(n * n, np.nan)
            if column >= 0:
                matrix[flat] = rows[:, column]
            matrices[c] = matrix.reshape(n, n)
        return [song_id, *(self._ids[node] for node in members[1:])], matrices


def score_candidates(
    query: SongAnalysis,
    others: Sequence[tuple[str, SongAnalysis]],
    *,
    config: ScorerConfig,
) -> list[tuple[str, PairScore]]:
    """The fused score of ``query`` (song A) against each candidate ``(id, analysis)``."""
    return [(song_id, score_pair(query, other, config=config)) for song_id, other in others]


EXPANSION = 10
"""Extra pairs scored per added song, beyond the first stage: versions of its versions."""


def expansion(
    own: Mapping[str, float],
    neighbours_of: Callable[[str], Mapping[str, float]],
    *,
    song: str,
    threshold: float,
    limit: int = EXPANSION,
) -> list[str]:
    """Songs to score next against ``song``: the confirmed neighbours (fused >= ``threshold``)
    of the songs it is confirmed with, that it has no edge to yet; strongest first (by the
    weaker of the two edges on the way), at most ``limit``.

    ``own`` maps the song's neighbours to their fused scores, ``neighbours_of`` does the same
    for any song. A version the first stage missed is often a confirmed version of one it
    found; and a cover group (``cover_groups``) needs every pair of its songs scored."""
    best: dict[str, float] = {}
    for other, fused in own.items():
        if fused < threshold:
            continue
        for further, further_fused in neighbours_of(other).items():
            if further == song or further in own or further_fused < threshold:
                continue
            strength = min(fused, further_fused)
            if strength > best.get(further, -math.inf):
                best[further] = strength
    return sorted(best, key=lambda s: (-best[s], s))[:limit]


def neighbourhood_components(
    song_id: str, graph: LibraryGraph, *, names: Sequence[str]
) -> tuple[list[str], dict[str, np.ndarray]]:
    """The song followed by its neighbours, and for each component name the (n, n) matrix of the
    raw values of the edges among them (NaN where no edge was scored, and on the diagonal)."""
    return graph.neighbourhood(song_id, names=names)


def graph_ranking(
    song_id: str, graph: LibraryGraph, *, config: ScorerConfig
) -> list[tuple[str, float, Edge]]:
    """Neighbours of ``song_id`` ordered by their diffused score, best first: ``(id, diffused,
    the pair's Edge)``. Late fusion (``model.rerank.diffuse``) runs on the neighbourhood only
    (the song, its neighbours and the edges among them) with the config's diffusion settings,
    ``k`` clipped to the neighbourhood; ties fall back to the pair's fused score."""
    neighbours = graph.neighbours(song_id)
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
