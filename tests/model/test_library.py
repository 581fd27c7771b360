"""The library graph: symmetric edges through adds and removals, diffusion on a neighbourhood,
cover groups that never chain, and the product's answer on renditions."""

import math

import numpy as np
import pytest

from model.analysis import SongAnalysis, analyse
from model.embed import Embedder
from model.errors import InvalidInput
from model.library import (
    Edge,
    LibraryGraph,
    cover_groups,
    expansion,
    graph_ranking,
    neighbourhood_components,
    rank_library,
    score_candidates,
)
from model.rerank import diffuse
from model.score import ScorerConfig
from tests.renditions import tune_rendition_stranger


@pytest.fixture(scope="module")
def config() -> ScorerConfig:
    return ScorerConfig.load()


def edge(fused: float, **components: float) -> Edge:
    """A scored pair whose diffusion components all equal ``fused`` unless given."""
    values = {"qmax": fused, "early": fused, "embedding": fused, **components}
    return Edge(target="", fused=fused, components=values)


def assert_symmetric(graph: LibraryGraph) -> None:
    for a in graph.songs():
        for b, forward in graph.neighbours(a).items():
            backward = graph.edge(b, a)
            assert backward is not None, f"{a}->{b} has no way back"
            assert forward.target == b and backward.target == a
            assert forward.fused == backward.fused
            assert forward.components == backward.components


def test_the_graph_stays_symmetric_through_adds_rescores_and_removals() -> None:
    rng = np.random.default_rng(0)
    graph = LibraryGraph()
    songs = [f"s{i}" for i in range(30)]
    for step, song_id in enumerate(songs):
        earlier = songs[:step]
        chosen = rng.choice(len(earlier), size=min(5, len(earlier)), replace=False)
        graph.add(song_id, [(earlier[int(k)], edge(float(rng.normal()))) for k in chosen])
        assert_symmetric(graph)
    graph.add("s3", [("s20", edge(9.0))])  # a rescored pair replaces both directions
    assert graph.edge("s20", "s3") == Edge(target="s3", fused=9.0, components=edge(9.0).components)
    for song_id in rng.permutation(songs)[:12]:
        graph.remove(str(song_id))
        assert song_id not in graph
        assert all(song_id not in graph.neighbours(s) for s in graph.songs())
        assert_symmetric(graph)
    pairs = [(a, b) for a, b, _ in graph.edges()]
    undirected = {frozenset(p) for p in pairs}
    assert len(pairs) == len(undirected)
    assert len(undirected) == sum(len(graph.neighbours(s)) for s in graph.songs()) // 2


def test_a_song_without_edges_is_still_in_the_library() -> None:
    graph = LibraryGraph()
    graph.add("alone")
    assert "alone" in graph and graph.neighbours("alone") == {}
    assert graph_ranking("alone", graph, config=ScorerConfig.load()) == []
    with pytest.raises(InvalidInput):
        graph.add("x", [("x", edge(1.0))])


def toy_neighbourhood() -> LibraryGraph:
    """Song s with five neighbours: y is a shade closer to s than x, but x also resembles s's
    three close neighbours z1..z3 (which resemble each other) and y resembles nothing else."""
    graph = LibraryGraph()
    graph.add("s", [("y", edge(3.0)), ("x", edge(2.8))])
    graph.add("z1", [("s", edge(4.0)), ("x", edge(4.0))])
    graph.add("z2", [("s", edge(4.0)), ("x", edge(4.0)), ("z1", edge(4.0))])
    graph.add("z3", [("s", edge(4.0)), ("x", edge(4.0)), ("z1", edge(4.0)), ("z2", edge(4.0))])
    graph.add("w", [("y", edge(-1.0))])  # outside s's neighbourhood: ignored
    return graph


def test_diffusion_pulls_up_the_neighbour_that_shares_neighbours(config: ScorerConfig) -> None:
    ranking = graph_ranking("s", toy_neighbourhood(), config=config)
    order = [song_id for song_id, _, _ in ranking]
    assert set(order) == {"x", "y", "z1", "z2", "z3"}
    assert order.index("x") < order.index("y")
    assert dict((s, e.fused) for s, _, e in ranking)["y"] == 3.0  # verdicts keep the pair score


def test_graph_ranking_is_diffusion_of_the_neighbourhood_matrix(config: ScorerConfig) -> None:
    """Oracle: the dense matrix of the song, its neighbours and the edges among them, written
    out by hand, diffused by ``model.rerank.diffuse``, k clipped to the neighbourhood."""
    graph = toy_neighbourhood()
    nodes = ["s", "y", "x", "z1", "z2", "z3"]
    dense = np.full((6, 6), np.nan)
    for a, b, e in graph.edges():
        if a in nodes and b in nodes:
            dense[nodes.index(a), nodes.index(b)] = dense[nodes.index(b), nodes.index(a)] = e.fused
    got_nodes, matrices = neighbourhood_components("s", graph, names=["qmax", "early"])
    assert got_nodes == nodes
    for name in ("qmax", "early"):
        np.testing.assert_array_equal(matrices[name], dense)
    local = ScorerConfig.from_dict({**config.to_dict(), "diffusion": {**config.diffusion, "k": 5}})
    expected = diffuse({"qmax": dense, "early": dense}, config=local)[0]
    ranking = graph_ranking("s", graph, config=config)
    for song_id, value, _ in ranking:
        assert value == pytest.approx(float(expected[nodes.index(song_id)]), rel=1e-6)
    values = [v for _, v, _ in ranking]
    assert values == sorted(values, reverse=True)


def test_cover_groups_never_chain() -> None:
    """a-b and b-c confirmed but a-c not: b joins one of them, never both."""
    graph = LibraryGraph()
    graph.add("a", [("b", edge(5.0))])
    graph.add("c", [("b", edge(4.0)), ("a", edge(0.5))])
    assert cover_groups(graph, threshold=2.0) == [["a", "b"]]
    graph.add("c", [("a", edge(2.5))])  # now every pair is confirmed
    assert cover_groups(graph, threshold=2.0) == [["a", "b", "c"]]


def test_cover_groups_are_cliques_of_confirmed_edges_largest_first() -> None:
    rng = np.random.default_rng(1)
    graph = LibraryGraph()
    songs = [f"s{i:02d}" for i in range(40)]
    for i, song_id in enumerate(songs):
        for j in range(i):
            if rng.random() < 0.3:
                graph.add(song_id, [(songs[j], edge(float(rng.normal(1.0, 1.5))))])
    threshold = 2.0
    groups = cover_groups(graph, threshold=threshold)
    seen: set[str] = set()
    for group in groups:
        assert len(group) >= 2 and group == sorted(group)
        assert not seen & set(group)
        seen |= set(group)
        for a in group:
            for b in group:
                if a != b:
                    e = graph.edge(a, b)
                    assert e is not None and e.fused >= threshold
    assert [len(g) for g in groups] == sorted((len(g) for g in groups), reverse=True)
    # Maximality of the greedy pass: the strongest confirmed edge is always inside a group.
    strongest = max((e.fused, a, b) for a, b, e in graph.edges())
    assert any({strongest[1], strongest[2]} <= set(g) for g in groups)


@pytest.fixture(scope="module")
def renditions() -> dict[str, SongAnalysis]:
    embedder = Embedder.load()
    signals = dict(zip(("a", "a_cover", "b"), tune_rendition_stranger(), strict=True))
    return {k: analyse(y, embedder=embedder) for k, y in signals.items()}


def test_a_rendition_added_to_the_library_joins_its_original_and_not_a_stranger(
    renditions: dict[str, SongAnalysis], config: ScorerConfig
) -> None:
    graph = LibraryGraph()
    graph.add("a")
    graph.add("b", score_candidates(renditions["b"], [("a", renditions["a"])], config=config))
    others = [("a", renditions["a"]), ("b", renditions["b"])]
    scores = score_candidates(renditions["a_cover"], others, config=config)
    graph.add("a_cover", scores)
    verdicts = {song_id: s.is_cover for song_id, s in scores}
    assert verdicts == {"a": True, "b": False}
    assert all(math.isfinite(e.fused) for _, _, e in graph.edges())
    assert cover_groups(graph, threshold=config.threshold) == [["a", "a_cover"]]
    assert graph_ranking("a_cover", graph, config=config)[0][0] == "a"


def test_the_library_ranking_continues_with_the_first_stage_after_the_neighbours(
    config: ScorerConfig,
) -> None:
    graph = toy_neighbourhood()
    head = [s for s, _, _ in graph_ranking("s", graph, config=config)]
    first_stage = ["w", "s", "y", "v", "x", "w"]
    assert rank_library("s", graph, config=config, first_stage=first_stage) == [*head, "w", "v"]


def test_the_graph_keeps_the_scorer_components_and_reads_back_what_was_added() -> None:
    graph = LibraryGraph()
    graph.add("a", [("b", Edge("b", 1.5, {"qmax": 0.25, "mfcc": math.inf, "unknown": 7.0}))])
    graph.add("c", [("a", edge(-0.5))])
    assert graph.edge("b", "a") == Edge("a", 1.5, {"qmax": 0.25, "mfcc": math.inf})
    assert graph.neighbours("a") == {
        "b": Edge("b", 1.5, {"qmax": 0.25, "mfcc": math.inf}),
        "c": Edge("c", -0.5, edge(-0.5).components),
    }
    graph.remove("a")
    graph.add("d", [("b", edge(2.0))])  # takes the removed song's place inside the graph
    assert graph.songs() == ["b", "c", "d"] and graph.neighbours("c") == {}
    assert [(a, b) for a, b, _ in graph.edges()] == [("b", "d")]
    nodes, matrices = neighbourhood_components("d", graph, names=["qmax", "mfcc"])
    assert nodes == ["d", "b"]
    assert matrices["qmax"][0, 1] == matrices["qmax"][1, 0] == 2.0
    assert np.isnan(matrices["mfcc"]).all()  # not computed for this pair


def test_expansion_offers_the_confirmed_versions_of_confirmed_versions() -> None:
    """x was confirmed with a (2.5) and not with b (0.5); a's confirmed versions are y (3.0) and
    z (2.2), b's is w: x is offered y and z (weaker of the two edges first: y 2.5, z 2.2), never
    w (through an unconfirmed edge), a song it already has an edge to, or itself."""
    edges = {
        "a": {"x": 2.5, "y": 3.0, "z": 2.2, "q": 0.1, "b": 2.4},
        "b": {"x": 0.5, "w": 9.0, "a": 2.4},
    }
    own = {"a": 2.5, "b": 0.5}
    offered = expansion(own, lambda s: edges.get(s, {}), song="x", threshold=2.0)
    assert offered == ["y", "z"]
    assert expansion(own, lambda s: edges.get(s, {}), song="x", threshold=2.0, limit=1) == ["y"]
    assert expansion({"b": 0.5}, lambda s: edges.get(s, {}), song="x", threshold=2.0) == []
