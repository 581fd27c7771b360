"""The answers of a real library keep the published contract: each is checked against the
schema its operation declares in ``/api/openapi.json`` (the fuzz test's library is empty, so
this is where re-ranked results, checks and duplicate adds are seen). Routes answer only the
methods the spec lists."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup

from tests.backend.stack import Stack

WRITE = {"post", "put", "patch", "delete"}


@pytest.fixture
def spec(stack: Stack) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", stack.app)


def conforms(spec: Any, method: str, path: str, reply: Any) -> dict[str, Any]:
    """Assert ``reply`` matches what the spec declares for it (status, content type, schema);
    returns its JSON."""
    operation = spec[path][method.upper()]
    try:
        operation.validate_response(reply)
    except (AssertionError, FailureGroup) as exc:
        pytest.fail(f"{method.upper()} {path} -> {reply.status_code}: {exc}")
    body: dict[str, Any] = reply.get_json()
    return body


def upload(stack: Stack, path: Path, route: str = "/api/songs/upload", **query: Any) -> Any:
    data = {"file": (io.BytesIO(path.read_bytes()), path.name)}
    return stack.client.post(
        route, data=data, content_type="multipart/form-data", query_string=query
    )


def test_a_real_librarys_answers_match_their_schemas(
    stack: Stack, spec: Any, audio_dir: Path, audio_server: str
) -> None:
    added = []
    for name in ("song_a.m4a", "cover_a.m4a", "song_b.m4a"):
        reply = stack.client.post("/api/songs", json={"url": f"http://{audio_server}/{name}"})
        job = conforms(spec, "post", "/api/songs", reply)["job"]
        added.append(stack.wait_job(job["id"])["song_id"])
    a, cover, b = added

    again = stack.client.post("/api/songs", json={"url": f"http://{audio_server}/song_a.m4a"})
    assert again.status_code == 200
    assert conforms(spec, "post", "/api/songs", again) == {
        "song": again.get_json()["song"],
        "existing": True,
    }
    new = upload(stack, audio_dir / "song_c.mp3")
    stack.wait_job(conforms(spec, "post", "/api/songs/upload", new)["job"]["id"])
    duplicate = upload(stack, audio_dir / "song_c.mp3")
    assert duplicate.status_code == 200
    assert conforms(spec, "post", "/api/songs/upload", duplicate)["existing"] is True

    # The rank answers are serialised without the output schema (the hot path): they must
    # still be what it declares, through the graph and re-ranked, for a song and for a clip.
    plain = conforms(spec, "get", "/api/rank", stack.client.get(f"/api/rank?song={a}"))
    assert plain["query"]["song"]["id"] == a
    assert plain["results"][0]["song"]["id"] == cover
    assert plain["results"][0]["source"] == "graph"
    reranked = conforms(spec, "get", "/api/rank", stack.client.get(f"/api/rank?song={a}&rerank=5"))
    assert reranked["results"][0]["song"]["id"] == cover
    assert {"fused", "components", "key_shift"} <= set(reranked["results"][0])
    queued = conforms(
        spec, "post", "/api/rank", upload(stack, audio_dir / "cover_a.m4a", "/api/rank")
    )
    job_id = stack.wait_job(queued["job"]["id"])["id"]
    conforms(spec, "get", "/api/jobs/{job_id}", stack.client.get(f"/api/jobs/{job_id}"))
    clip_path = "/api/rank/clips/{job_id}"
    clip = conforms(spec, "get", clip_path, stack.client.get(f"/api/rank/clips/{job_id}"))
    assert clip["query"] == {"upload": "cover_a.m4a", "job": job_id}

    check = conforms(spec, "get", "/api/check", stack.client.get(f"/api/check?a={a}&b={cover}"))
    assert check["is_cover"] is True
    conforms(spec, "get", "/api/check/report", stack.client.get(f"/api/check/report?a={a}&b={b}"))
    conforms(
        spec,
        "get",
        "/api/check/{a}/{b}/similarity.png",
        stack.client.get(check["similarity_image"]),
    )

    song_path = "/api/songs/{song_id}"
    conforms(spec, "get", song_path, stack.client.get(f"/api/songs/{b}"))
    edited = stack.client.patch(f"/api/songs/{b}", json={"tags": ["x"], "notes": "n"})
    assert conforms(spec, "patch", song_path, edited)["tags"] == ["x"]
    audio = stack.client.get(f"/api/songs/{b}/audio", headers={"Range": "bytes=0-99"})
    assert audio.status_code == 206
    conforms(spec, "get", "/api/songs/{song_id}/audio", audio)
    for path in ("/api/songs", "/api/jobs", "/api/map", "/api/model", "/api/stats", "/api/health"):
        conforms(spec, "get", path, stack.client.get(path))
    bulk = stack.client.post(
        "/api/songs/bulk", json={"urls": [f"http://{audio_server}/song_b.m4a", "ftp://x/y"]}
    )
    body = conforms(spec, "post", "/api/songs/bulk", bulk)
    assert len(body["existing"]) == 1 and body["errors"][0]["code"] == "invalid_source"
    gone = stack.client.delete(f"/api/songs/{b}")
    assert gone.status_code == 204
    missing = stack.client.get(f"/api/songs/{b}")
    assert conforms(spec, "get", song_path, missing)["error"]["code"] == "not_found"


def test_routes_answer_only_the_methods_the_spec_lists(stack: Stack) -> None:
    """``OPTIONS`` advertises exactly the documented methods (with HEAD for a GET), and any
    other method answers 405 with the error body: ``/api/songs/upload`` is no song id."""
    paths = stack.client.get("/api/openapi.json").get_json()["paths"]
    for path, item in paths.items():
        url = path.replace("{song_id}", "0" * 24).replace("{job_id}", "j").replace("{a}", "x")
        url = url.replace("{b}", "y")
        documented = {m.upper() for m in item if m in {"get", *WRITE}}
        allowed = set(stack.client.options(url).headers["Allow"].split(", "))
        expected = documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set())
        assert allowed == expected, (path, allowed)
        for method in {"GET", "PUT", "POST", "PATCH", "DELETE"} - documented:
            reply = stack.client.open(url, method=method)
            assert reply.status_code == 405, (method, path, reply.status_code)
            assert reply.get_json()["error"]["code"] == "method_not_allowed"
