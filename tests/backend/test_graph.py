"""The neighbour graph through the API and a real worker: built at ingest, read by the rank,
kept consistent by deletion, backfill and rescoring, and the source of versions and groups.

A tune, a transposed, faster, brighter rendition of it, and a different tune, uploaded."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.ingest.linking import Linker
from backend.search.graph_index import GraphIndex, load_graph
from backend.storage.edge_repository import graph_stamp
from backend.storage.embedded import EmbeddedMongo
from model.audio import encode
from model.library import LibraryGraph
from tests.backend.stack import Stack, build_stack
from tests.renditions import PROGRESSION_A, song, tune_rendition_stranger


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("graph-songs")
    tune, rendition, other = tune_rendition_stranger(seconds=30.0)
    signals = {
        "tune": tune,
        "rendition": rendition,
        "other": other,
        "clip": song(PROGRESSION_A, melody_seed=1, seconds=30.0, transpose=-2, seed=9),
    }
    return {name: encode(y, folder / f"{name}.m4a") for name, y in signals.items()}


def post_file(stack: Stack, route: str, path: Path, **form: str) -> Any:
    return stack.client.post(
        route,
        data={"file": (io.BytesIO(path.read_bytes()), path.name), **form},
        content_type="multipart/form-data",
    )


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory,
    mongo: EmbeddedMongo,
    audio_server: str,
    files: dict[str, Path],
) -> Iterator[tuple[Stack, dict[str, str]]]:
    stack = build_stack(
        tmp_path_factory.mktemp("graph"),
        mongo,
        audio_server,
        max_duration_s=60.0,
        max_upload_bytes=5_000_000,
    )
    ids = {name: stack.upload(files[name]) for name in ("tune", "rendition", "other")}
    yield stack, ids
    stack.stop_worker()


def edge_set(graph: LibraryGraph) -> dict[tuple[str, str], float]:
    return {(a, b): e.fused for a in graph.songs() for b, e in graph.neighbours(a).items()}


def assert_consistent(stack: Stack) -> dict[tuple[str, str], float]:
    """The API's in-memory graph is symmetric and equals the stored graph, as a restarted
    process (a fresh index) loads it; no edge touches a song that is not in the library."""
    live = stack.components.graph.read(edge_set)
    assert all(live.get((b, a)) == fused for (a, b), fused in live.items()), "asymmetric"
    restarted = GraphIndex(stack.components.edges, check_every=0.0).read(edge_set)
    assert live == restarted == edge_set(load_graph(stack.components.edges))
    present = {str(i) for i in stack.components.songs.ids()}
    assert all(a in present and b in present for a, b in live)
    return live


def check(stack: Stack, a: str, b: str) -> dict[str, Any]:
    reply = stack.client.get(f"/api/check?a={a}&b={b}")
    assert reply.status_code == 200, reply.get_json()
    out: dict[str, Any] = reply.get_json()
    return out


def test_adding_songs_scores_edges_both_ways(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    live = assert_consistent(stack)
    # Three songs: each is the others' first-stage candidate, so every pair is an edge.
    assert len(live) == 6
    pair = check(stack, ids["tune"], ids["rendition"])
    assert live[(ids["tune"], ids["rendition"])] == pytest.approx(-pair["distance"], abs=1e-4)
    stamp = graph_stamp(
        scorer_version=stack.components.scorer.version,
        model_version=stack.components.embedder.version,
    )
    stored = stack.components.edges.neighbours(ids["tune"])
    assert {e["stamp"] for e in stored.values()} == {stamp}


def test_a_library_song_is_ranked_through_the_graph(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    out = stack.client.get(f"/api/rank?song={ids['tune']}").get_json()
    first, second = out["results"]
    assert first["song"]["id"] == ids["rendition"] and second["song"]["id"] == ids["other"]
    assert first["source"] == second["source"] == "graph"
    assert first["diffused"] >= second["diffused"]
    pair = check(stack, ids["tune"], ids["rendition"])
    stranger = check(stack, ids["tune"], ids["other"])
    # The verdicts are the pair scores' (diffusion only orders), as the check gives them.
    assert first["fused"] == pytest.approx(-pair["distance"], abs=1e-4)
    assert (first["is_cover"], second["is_cover"]) == (True, False)
    assert second["is_cover"] == stranger["is_cover"]
    assert first["probability"] == pytest.approx(pair["probability"], abs=1e-4)
    assert out["scorer_threshold"] == pytest.approx(pair["threshold"], abs=1e-4)


def test_versions_groups_and_the_listing_come_from_confirmed_edges(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    versions = stack.client.get(f"/api/songs/{ids['tune']}/versions").get_json()
    assert [v["song"]["id"] for v in versions["versions"]] == [ids["rendition"]]
    assert versions["versions"][0]["fused"] >= versions["fused_threshold"]
    assert sorted(versions["group"]) == sorted([ids["tune"], ids["rendition"]])
    lonely = stack.client.get(f"/api/songs/{ids['other']}/versions").get_json()
    assert lonely["versions"] == [] and lonely["group"] == []
    assert stack.client.get("/api/songs/6650c0ffee6650c0ffee6650/versions").status_code == 404

    points = {
        p["song"]["id"]: p["group"] for p in stack.client.get("/api/map").get_json()["points"]
    }
    assert points[ids["tune"]] == points[ids["rendition"]] >= 0 and points[ids["other"]] == -1
    listed = {s["id"]: s for s in stack.client.get("/api/songs").get_json()["items"]}
    assert [listed[ids[n]]["versions"] for n in ("tune", "rendition", "other")] == [1, 1, 0]
    assert listed[ids["tune"]]["group"] == points[ids["tune"]]
    assert listed[ids["other"]]["group"] is None


def test_the_map_limit_is_validated_not_clamped(library: tuple[Stack, dict[str, str]]) -> None:
    stack, _ = library
    for bad in (0, 5001, -3):
        reply = stack.client.get(f"/api/map?limit={bad}")
        assert reply.status_code == 400, bad
        assert reply.get_json()["error"]["code"] == "invalid_input"
    assert len(stack.client.get("/api/map?limit=2").get_json()["points"]) == 2
    assert len(stack.client.get("/api/map?limit=5000").get_json()["points"]) == 3


def test_a_clip_query_runs_as_a_job(
    library: tuple[Stack, dict[str, str]], files: dict[str, Path]
) -> None:
    stack, ids = library
    reply = post_file(stack, "/api/rank?limit=2", files["clip"])
    assert reply.status_code == 202, reply.get_json()
    job_id = reply.get_json()["job"]["id"]
    assert stack.client.get(f"/api/rank/clips/{job_id}").status_code in (200, 409)
    job = stack.wait_job(job_id)
    assert job["status"] == "done" and job["kind"] == "rank_clip", job
    out = stack.client.get(f"/api/rank/clips/{job_id}").get_json()
    assert out["query"]["upload"] == "clip.m4a"
    # Another rendition of the tune: both library versions are scored, confirmed and first.
    assert {r["song"]["id"] for r in out["results"]} == {ids["tune"], ids["rendition"]}
    assert all(r["source"] == "graph" and r["is_cover"] for r in out["results"])
    assert stack.client.get("/api/rank/clips/nope").status_code == 404
    assert stack.client.get(f"/api/songs/{ids['tune']}").status_code == 200
    assert len(stack.client.get("/api/songs").get_json()["items"]) == 3  # nothing was added


def test_a_song_backfilled_gets_its_edges(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    songs, edges = stack.components.songs, stack.components.edges
    # As if "other" had been added before analyses (and the graph) existed.
    songs.songs.update_one(
        {"_id": songs.get(ids["other"])["_id"]},
        {"$unset": {"analysis_key": "", "analysis_version": ""}},
    )
    edges.remove(ids["other"])
    ranked = stack.client.get(f"/api/rank?song={ids['tune']}").get_json()["results"]
    assert [(r["song"]["id"], r["source"]) for r in ranked] == [
        (ids["rendition"], "graph"),
        (ids["other"], "first_stage"),
    ]
    job = stack.wait_job(stack.client.post("/api/model/backfill").get_json()["job"]["id"])
    assert job["status"] == "done", job
    live = assert_consistent(stack)
    assert (ids["other"], ids["tune"]) in live and (ids["other"], ids["rendition"]) in live


def test_rescoring_replaces_edges_of_another_scorer(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    c = stack.components
    before = assert_consistent(stack)
    stale = {"fused": -99.0, "components": {"qmax": -9.0, "early": 0.0}, "stamp": "old|0"}
    c.edges.link(ids["tune"], {ids["rendition"]: stale})  # as an older scorer left it
    assert c.graph.read(edge_set)[(ids["rendition"], ids["tune"])] == -99.0
    stamp = graph_stamp(scorer_version=c.scorer.version, model_version=c.embedder.version)
    reply = stack.client.post("/api/model/graph")
    assert reply.status_code == 202, reply.get_json()
    done = stack.wait_job(reply.get_json()["job"]["id"])
    assert done["status"] == "done" and done["kind"] == "rebuild_graph", done
    after = assert_consistent(stack)
    assert after == pytest.approx(before)
    assert c.edges.stamp() == stamp
    assert all(e["stamp"] == stamp for e in c.edges.neighbours(ids["tune"]).values())


def test_deleting_a_song_removes_its_edges(
    library: tuple[Stack, dict[str, str]], files: dict[str, Path]
) -> None:
    stack, ids = library
    assert stack.client.delete(f"/api/songs/{ids['rendition']}").status_code == 204
    live = assert_consistent(stack)
    assert not any(ids["rendition"] in pair for pair in live)
    assert stack.components.edges.neighbours(ids["rendition"]) == {}
    assert stack.client.get(f"/api/songs/{ids['tune']}/versions").get_json()["versions"] == []
    points = stack.client.get("/api/map").get_json()["points"]
    assert len(points) == 2 and {p["group"] for p in points} == {-1}  # a new library version
    ids["rendition"] = stack.upload(files["rendition"])
    assert (ids["tune"], ids["rendition"]) in assert_consistent(stack)


def test_a_song_is_scored_against_the_versions_of_its_versions(
    library: tuple[Stack, dict[str, str]], files: dict[str, Path]
) -> None:
    """With a first stage of one candidate, a third version of the tune still gets edges to both
    earlier versions (the confirmed version of its confirmed candidate), and none to the other
    tune; the three form one group."""
    stack, ids = library
    c = stack.components
    ids["clip"] = stack.upload(files["clip"])
    c.edges.remove(ids["clip"])
    linker = Linker(
        songs=c.songs,
        edges=c.edges,
        index=c.index,
        analyses=c.analyses,
        scorer=c.scorer,
        model_version=c.embedder.version,
        count=1,
    )
    assert linker.link(ids["clip"]) == 2
    live = assert_consistent(stack)
    assert {b for a, b in live if a == ids["clip"]} == {ids["tune"], ids["rendition"]}
    versions = stack.client.get(f"/api/songs/{ids['clip']}/versions").get_json()
    assert sorted(versions["group"]) == sorted(ids[n] for n in ("tune", "rendition", "clip"))
