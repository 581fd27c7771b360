"""The neighbour graph's storage against the real embedded database: what an API process holds
in memory (replaying change records) is what a fresh load reads, and both are symmetric."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest

from backend.search.graph_index import MAX_REPLAY, GraphIndex, load_graph
from backend.settings import Settings
from backend.storage.db import connect
from backend.storage.edge_repository import EdgeRepository, StoredEdge
from backend.storage.embedded import EmbeddedMongo
from model.library import LibraryGraph


def edge_set(graph: LibraryGraph) -> dict[tuple[str, str], float]:
    """Every directed edge with its fused score."""
    return {(a, b): e.fused for a in graph.songs() for b, e in graph.neighbours(a).items()}


def symmetric(graph: LibraryGraph) -> bool:
    edges = edge_set(graph)
    return all(edges.get((b, a)) == fused for (a, b), fused in edges.items())


def stored(fused: float, stamp: str = "s|m") -> StoredEdge:
    return {"fused": fused, "components": {"qmax": fused, "early": -fused}, "stamp": stamp}


@pytest.fixture
def edges(mongo: EmbeddedMongo) -> EdgeRepository:
    settings = Settings(mongodb_uri=mongo.uri, mongodb_db=f"g_{uuid.uuid4().hex[:12]}")
    db: Any = connect(mongo.uri, settings)
    return EdgeRepository(db)


def test_replayed_changes_equal_a_fresh_load(edges: EdgeRepository) -> None:
    """Random links, unlinks and removals: the live view stays symmetric and equal to what a
    restarted process loads, and no edge points at a removed song."""
    live = GraphIndex(edges, check_every=0.0)
    rng = np.random.default_rng(7)
    songs = [f"s{i}" for i in range(12)]
    removed: set[str] = set()
    for step in range(60):
        song = songs[int(rng.integers(len(songs)))]
        roll = rng.random()
        others = [s for s in songs if s != song and s not in removed]
        if roll < 0.6:
            chosen = rng.choice(others, size=min(3, len(others)), replace=False)
            edges.link(song, {str(o): stored(float(rng.normal())) for o in chosen})
            removed.discard(song)
        elif roll < 0.8:
            edges.unlink(song, [str(o) for o in rng.choice(others, size=2, replace=False)])
        else:
            edges.remove(song)
            removed.add(song)
        view = live.read(lambda g: (edge_set(g), symmetric(g)))
        assert view[1], f"step {step}: asymmetric"
        assert view[0] == edge_set(load_graph(edges)), f"step {step}: live != stored"
        assert not any(a in removed or b in removed for a, b in view[0])


def test_a_rebuild_drops_edges_of_another_stamp_and_of_deleted_songs(
    edges: EdgeRepository,
) -> None:
    edges.link("a", {"b": stored(3.0, "old|m"), "c": stored(2.0, "new|m")})
    edges.link("d", {"c": stored(1.0, "new|m")})
    live = GraphIndex(edges, check_every=0.0)
    assert live.read(lambda g: len(list(g.edges()))) == 3
    dropped = edges.drop_stale("new|m", keep={"a", "b", "c"})
    assert dropped == 1 + 2 + 1  # a-b in two documents; d's document and c's edge to d
    assert edges.stamp() == "new|m"
    assert live.read(edge_set) == {("a", "c"): 2.0, ("c", "a"): 2.0}


def test_a_lost_change_record_or_a_long_gap_reloads_the_whole_graph(
    edges: EdgeRepository,
) -> None:
    live = GraphIndex(edges, check_every=0.0)
    edges.link("a", {"b": stored(1.0)})
    assert live.read(edge_set) == {("a", "b"): 1.0, ("b", "a"): 1.0}
    edges.changes.delete_many({})  # as if trimmed: the next replay cannot find its record
    edges.link("a", {"c": stored(2.0)})
    edges.meta.update_one({"_id": "graph"}, {"$inc": {"version": MAX_REPLAY + 1}})
    assert live.read(edge_set) == edge_set(load_graph(edges))
    assert ("a", "c") in live.read(edge_set)
