"""Cover check, rank, map and model routes over a small library of synthetic songs."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.storage.embedded import EmbeddedMongo
from model.embed import Embedder
from tests.backend.stack import Stack, build_stack, wait_until


def add_songs(stack: Stack, audio_server: str, *names: str) -> dict[str, str]:
    """Add served files by URL (titled by name); returns ``{name: song id}``."""
    ids = {}
    for name in names:
        job = stack.add(f"{name}.m4a", audio_server, title=name)
        assert job["status"] == "done", job
        ids[name] = job["song_id"]
    return ids


@pytest.fixture(scope="module")
def shared_library(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Iterator[tuple[Stack, dict[str, str]]]:
    """A stack holding song A, a transposed re-voicing of A, and an unrelated song B, analysed
    once per module. Tests use ``library``."""
    stack = build_stack(tmp_path_factory.mktemp("compare"), mongo, audio_server)
    yield stack, add_songs(stack, audio_server, "song_a", "cover_a", "song_b")
    stack.stop_worker()


@pytest.fixture
def library(shared_library: tuple[Stack, dict[str, str]]) -> tuple[Stack, dict[str, str]]:
    """The module's library as a test must find it: the model's own threshold, no jobs."""
    stack, ids = shared_library
    songs = stack.components.songs
    songs.meta.delete_one({"_id": "model"})
    songs.bump()
    stack.components.jobs.jobs.delete_many({"kind": "reembed"})
    assert songs.count() == len(ids)
    return stack, ids


def test_check_gives_verdict_probability_and_explanation(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    reply = stack.client.get(f"/api/check?a={ids['song_a']}&b={ids['cover_a']}")
    assert reply.status_code == 200
    out = reply.get_json()
    assert out["a"]["id"] == ids["song_a"] and out["b"]["id"] == ids["cover_a"]
    for key in (
        "is_cover",
        "probability",
        "distance",
        "threshold",
        "key_shift",
        "matches",
        "segment_agreement",
        "alignment_distance",
        "similarity_image",
        "model_version",
        "components",
        "scorer_version",
        "report_url",
    ):
        assert key in out
    assert 0.0 <= out["probability"] <= 1.0
    assert out["threshold"] == pytest.approx(-stack.components.scorer.threshold, abs=1e-4)
    assert out["scorer_version"] == stack.components.scorer.version
    # These clips are shorter than one 20-beat block: the block evidence is missing, not zero.
    assert set(out["components"]) >= {"qmax", "embedding"}
    assert all(set(part) == {"raw", "z", "weight"} for part in out["components"].values())
    # B is A two semitones up: the alignment moves it back down.
    assert out["key_shift"] == -2
    assert out["matches"] and {"a_start", "a_end", "b_start", "b_end", "score"} <= set(
        out["matches"][0]
    )
    image = stack.client.get(out["similarity_image"])
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")


def test_a_song_checked_against_itself_is_a_cover(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    out = stack.client.get(f"/api/check?a={ids['song_b']}&b={ids['song_b']}").get_json()
    assert out["is_cover"] is True and out["distance"] < out["threshold"]
    assert out["key_shift"] == 0 and out["components"]["embedding"]["raw"] == 0.0


def test_check_unknown_or_missing_ids(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    reply = stack.client.get(f"/api/check?a={ids['song_a']}&b=6650c0ffee6650c0ffee6650")
    assert reply.status_code == 404 and reply.get_json()["error"]["code"] == "not_found"
    assert stack.client.get(f"/api/check?a={ids['song_a']}").status_code == 400


def test_rank_sorts_the_library(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    out = stack.client.get(f"/api/rank?song={ids['song_a']}").get_json()
    assert out["query"]["song"]["id"] == ids["song_a"]
    results = out["results"]
    assert {r["song"]["id"] for r in results} == {ids["cover_a"], ids["song_b"]}
    # Graph neighbours first (by diffused score, verdicts of their fused scores), then the
    # embedding order with the embedding's verdicts.
    graph = [r for r in results if r["source"] == "graph"]
    rest = [r for r in results if r["source"] == "first_stage"]
    assert results == graph + rest
    assert [r["diffused"] for r in graph] == sorted((r["diffused"] for r in graph), reverse=True)
    assert [r["distance"] for r in rest] == sorted(r["distance"] for r in rest)
    for r in results:
        assert r["similarity"] == pytest.approx(100 * (1 - r["distance"] / 2), abs=0.06)
    for r in graph:
        assert r["is_cover"] == (-r["fused"] <= out["scorer_threshold"])
    for r in rest:
        assert r["is_cover"] == (r["distance"] <= out["threshold"])
    assert (
        stack.client.get(f"/api/rank?song={ids['song_a']}&limit=1").get_json()["results"][:1]
        == results[:1]
    )
    assert stack.client.get("/api/rank?song=6650c0ffee6650c0ffee6650").status_code == 404


def test_rerank_by_the_fused_score_puts_the_cover_first(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    out = stack.client.get(f"/api/rank?song={ids['song_a']}&rerank=2").get_json()
    first, second = out["results"]
    assert first["song"]["id"] == ids["cover_a"]
    assert first["fused"] > second["fused"]
    assert set(first["components"]) >= {"qmax", "embedding"}  # short clips: no block evidence
    checked = stack.client.get(f"/api/check?a={ids['song_a']}&b={ids['cover_a']}").get_json()
    assert first["fused"] == pytest.approx(-checked["distance"], abs=1e-4)
    assert first["is_cover"] == checked["is_cover"]
    assert out["scorer_threshold"] == pytest.approx(checked["threshold"], abs=1e-4)


def test_rank_an_uploaded_clip(library: tuple[Stack, dict[str, str]], audio_dir: Path) -> None:
    stack, _ = library
    clip = (audio_dir / "song_c.mp3").read_bytes()
    reply = stack.client.post(
        "/api/rank",
        data={"file": (io.BytesIO(clip), "clip.mp3")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 202, reply.get_json()
    job = stack.wait_job(reply.get_json()["job"]["id"])
    assert job["status"] == "done", job
    out = stack.client.get(f"/api/rank/clips/{job['id']}").get_json()
    assert out["query"] == {"upload": "clip.mp3", "job": job["id"]} and len(out["results"]) == 3
    junk = stack.client.post(
        "/api/rank",
        data={"file": (io.BytesIO(b"junk" * 100), "x.mp3")},
        content_type="multipart/form-data",
    )
    assert junk.status_code == 422


def test_map_projects_every_song(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    out = stack.client.get("/api/map").get_json()
    assert {p["song"]["id"] for p in out["points"]} == set(ids.values())
    assert all(isinstance(p["x"], float) and isinstance(p["group"], int) for p in out["points"])


def test_model_threshold_can_be_set(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    model = stack.client.get("/api/model").get_json()
    assert model["version"] == stack.components.embedder.version
    assert model["config"]["embedding_dim"] == stack.components.embedder.dim
    assert set(model) >= {"threshold", "calibration", "training", "benchmarks", "curves"}
    scorer = stack.components.scorer
    assert model["scorer"]["version"] == scorer.version
    assert model["scorer"]["components"] == list(scorer.components)
    assert model["threshold"] == model["scorer"]["threshold"] == -scorer.threshold
    pair = f"/api/check?a={ids['song_a']}&b={ids['song_b']}"
    assert stack.client.get(pair).get_json()["is_cover"] is False
    # The slider is on the check's scale: a threshold above every distance calls all covers,
    # in the check and in the re-rank alike.
    reply = stack.client.put("/api/model/threshold", json={"threshold": 40.0})
    assert reply.status_code == 200 and reply.get_json()["threshold"] == 40.0
    assert reply.get_json()["scorer"]["fused_threshold"] == -40.0
    checked = stack.client.get(pair).get_json()
    assert checked["threshold"] == 40.0 and checked["is_cover"] is True
    ranked = stack.client.get(f"/api/rank?song={ids['song_a']}&rerank=2").get_json()
    assert ranked["scorer_threshold"] == 40.0 and all(r["is_cover"] for r in ranked["results"])
    assert stack.client.put("/api/model/threshold", json={"threshold": 99}).status_code == 400


def test_manual_reembed_job(library: tuple[Stack, dict[str, str]]) -> None:
    stack, _ = library
    reply = stack.client.post("/api/model/reembed")
    assert reply.status_code == 202
    job = stack.wait_job(reply.get_json()["job"]["id"])
    assert job["status"] == "done" and job["kind"] == "reembed"


def test_new_model_version_reembeds_from_stored_features(
    tmp_path: Path, mongo: EmbeddedMongo, audio_server: str
) -> None:
    """A worker started with another model re-embeds every song from its stored HPCP."""
    old = build_stack(tmp_path / "old", mongo, audio_server)
    try:
        ids = add_songs(old, audio_server, "song_a", "cover_a")
    finally:
        old.stop_worker()
    embedder = Embedder.load()
    embedder.version = "9.9-test"
    checkpoint = embedder.save(tmp_path / "next.pt")
    new = build_stack(
        tmp_path / "new",
        mongo,
        audio_server,
        worker=False,
        data_dir=old.settings.data_dir,
        mongodb_db=old.settings.mongodb_db,
        model_path=checkpoint,
    )
    blocked = new.client.get(f"/api/rank?song={ids['song_a']}")
    assert blocked.status_code == 409 and blocked.get_json()["error"]["code"] == "conflict"
    new.log_path = tmp_path / "worker.log"
    new.start_worker()
    try:

        def reembedded() -> dict[str, object] | None:
            jobs = new.client.get("/api/jobs").get_json()["items"]
            return next(
                (
                    j
                    for j in jobs
                    if j["source"] == "model 9.9-test" and j["status"] in ("done", "failed")
                ),
                None,
            )

        job = wait_until(reembedded, what="the re-embedding job for model 9.9-test")
        assert job["status"] == "done", job
        songs = new.client.get("/api/songs").get_json()["items"]
        assert {s["model_version"] for s in songs} == {"9.9-test"}
        ranked = new.client.get(f"/api/rank?song={ids['song_a']}").get_json()
        assert [r["song"]["id"] for r in ranked["results"]] == [ids["cover_a"]]
        assert ranked["model_version"] == "9.9-test"
    finally:
        new.stop_worker()
