"""A song's versions: its confirmed edges (fused score past the threshold in force)."""

from __future__ import annotations

from collections.abc import Iterable

from backend.search.graph_index import GraphIndex
from model.library import Edge, LibraryGraph


def confirmed(graph: LibraryGraph, song_id: str, *, threshold: float) -> list[tuple[str, Edge]]:
    """The song's neighbours with fused >= ``threshold``, strongest first."""
    found = [(o, e) for o, e in graph.neighbours(song_id).items() if e.fused >= threshold]
    found.sort(key=lambda pair: (-pair[1].fused, pair[0]))
    return found


def song_versions(song_id: str, *, graph: GraphIndex, threshold: float) -> list[tuple[str, Edge]]:
    return graph.read(lambda g: confirmed(g, song_id, threshold=threshold))


def version_counts(
    song_ids: Iterable[str], *, graph: GraphIndex, threshold: float
) -> dict[str, int]:
    """How many confirmed versions each song has (one lock for the page)."""
    ids = list(song_ids)
    return graph.read(lambda g: {s: len(confirmed(g, s, threshold=threshold)) for s in ids})
