"""The library over HTTP: add by URL (yt-dlp on loopback) and upload, list, edit, delete, stream."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.backend.stack import Stack, wait_until


def upload(stack: Stack, path: Path, **form: str) -> Any:
    data = {"file": (io.BytesIO(path.read_bytes()), path.name), **form}
    return stack.client.post("/api/songs/upload", data=data, content_type="multipart/form-data")


def test_health_and_openapi(stack: Stack) -> None:
    def worker_seen() -> Any:
        reply = stack.client.get("/api/health")
        return reply if reply.get_json()["worker"] == "ok" else None

    reply = wait_until(worker_seen, what="the worker's heartbeat in /api/health", timeout=60)
    assert reply.status_code == 200
    assert reply.get_json() == {
        "status": "ok",
        "db": "ok",
        "store": "ok",
        "queue": "ok",
        "worker": "ok",
        "model_version": stack.components.embedder.version,
    }
    spec = stack.client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/songs" in spec["paths"] and "/api/rank" in spec["paths"]
    docs = stack.client.get("/api/docs")
    assert docs.status_code == 200 and b"cdn." not in docs.data  # served locally, offline
    assert stack.client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_add_url_runs_the_job_to_a_song(stack: Stack, audio_server: str) -> None:
    reply = stack.client.post(
        "/api/songs", json={"url": f"http://{audio_server}/song_a.m4a", "artist": "Tester"}
    )
    assert reply.status_code == 202
    job = reply.get_json()["job"]
    assert job["status"] == "queued" and job["stage"] == "queued" and job["kind"] == "ingest_url"
    done = stack.wait_job(job["id"])
    assert done["status"] == "done", done
    assert done["stage"] == "done" and done["progress"] == 100 and done["error"] is None
    song = stack.client.get(f"/api/songs/{done['song_id']}").get_json()
    assert song["artist"] == "Tester" and song["source"] == "web"
    assert 11.5 < song["duration"] < 12.5
    assert song["model_version"] == stack.components.embedder.version
    # The embedding is BSON binary float32 with its shape, never pickle.
    raw = stack.components.songs.get(song["id"], with_embedding=True)["embedding"]
    assert raw["dtype"] == "float32" and raw["shape"] == [stack.components.embedder.dim]
    # Adding the same URL again returns the existing song.
    again = stack.client.post("/api/songs", json={"url": f"http://{audio_server}/song_a.m4a"})
    assert again.status_code == 200
    assert again.get_json()["existing"] is True and again.get_json()["song"]["id"] == song["id"]
    jobs = stack.client.get("/api/jobs").get_json()["items"]
    assert [j["id"] for j in jobs] == [job["id"]]


def test_racing_duplicate_urls_share_one_job_and_one_song(stack: Stack, audio_server: str) -> None:
    url = f"http://{audio_server}/song_b.m4a"
    replies: list[Any] = []

    def post() -> None:
        replies.append(stack.client.post("/api/songs", json={"url": url}))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job_ids = {r.get_json()["job"]["id"] for r in replies}
    assert all(r.status_code == 202 for r in replies) and len(job_ids) == 1
    done = stack.wait_job(job_ids.pop())
    assert done["status"] == "done"
    assert stack.client.get("/api/songs").get_json()["total"] == 1


def test_upload_list_search_edit_delete(stack: Stack, audio_dir: Path) -> None:
    ids = []
    for name, title in (("song_a.m4a", "Alpha Song"), ("song_c.mp3", "Beta Tune")):
        reply = upload(stack, audio_dir / name, title=title, artist="Band")
        assert reply.status_code == 202, reply.get_json()
        done = stack.wait_job(reply.get_json()["job"]["id"])
        assert done["status"] == "done", done
        ids.append(done["song_id"])
    # Uploading identical bytes again finds the existing song.
    again = upload(stack, audio_dir / "song_a.m4a")
    assert again.status_code == 200 and again.get_json()["song"]["id"] == ids[0]

    listing = stack.client.get("/api/songs?sort=title&order=asc").get_json()
    assert listing["total"] == 2 and [s["title"] for s in listing["items"]] == [
        "Alpha Song",
        "Beta Tune",
    ]
    assert stack.client.get("/api/songs?q=beta").get_json()["items"][0]["id"] == ids[1]
    assert stack.client.get("/api/songs?q=zzz").get_json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 20,
    }
    page2 = stack.client.get("/api/songs?per_page=1&page=2&sort=title&order=asc").get_json()
    assert page2["total"] == 2 and [s["title"] for s in page2["items"]] == ["Beta Tune"]
    assert stack.client.get("/api/songs?per_page=500").status_code == 400

    patched = stack.client.patch(
        f"/api/songs/{ids[0]}", json={"title": "Renamed", "tags": ["demo"], "notes": "hi"}
    )
    assert patched.status_code == 200
    assert patched.get_json()["title"] == "Renamed" and patched.get_json()["tags"] == ["demo"]
    assert stack.client.patch(f"/api/songs/{ids[0]}", json={"tags": "x"}).status_code == 400

    audio = stack.client.get(f"/api/songs/{ids[1]}/audio")
    assert audio.status_code == 200 and audio.mimetype == "audio/mpeg"
    assert audio.data == (audio_dir / "song_c.mp3").read_bytes()
    part = stack.client.get(f"/api/songs/{ids[1]}/audio", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100

    assert stack.client.delete(f"/api/songs/{ids[0]}").status_code == 204
    assert stack.client.get(f"/api/songs/{ids[0]}").status_code == 404
    deleted = stack.client.post("/api/songs/delete", json={"ids": [ids[1], "nonsense"]})
    assert deleted.get_json() == {"deleted": 1}
    assert stack.client.get("/api/songs").get_json()["total"] == 0


def test_bulk_add_from_list_and_csv(stack: Stack, audio_server: str) -> None:
    urls = [f"http://{audio_server}/song_a.m4a", "http://localhost/x", "not a url"]
    reply = stack.client.post("/api/songs/bulk", json={"urls": urls})
    assert reply.status_code == 202
    body = reply.get_json()
    assert len(body["jobs"]) == 1 and len(body["errors"]) == 2
    assert {e["code"] for e in body["errors"]} == {"invalid_source"}
    assert stack.wait_job(body["jobs"][0]["id"])["status"] == "done"
    csv = f"url,title\nhttp://{audio_server}/song_a.m4a,A\nhttp://{audio_server}/song_c.mp3,C\n"
    reply = stack.client.post(
        "/api/songs/bulk",
        data={"file": (io.BytesIO(csv.encode()), "list.csv")},
        content_type="multipart/form-data",
    )
    body = reply.get_json()
    assert len(body["existing"]) == 1 and len(body["jobs"]) == 1
    assert stack.wait_job(body["jobs"][0]["id"])["status"] == "done"
    stats = stack.client.get("/api/stats").get_json()
    assert stats["songs"] == 2 and stats["index"]["songs"] == 2


def write_feed(folder: Path, name: str, links: list[str]) -> None:
    """An RSS feed: a playlist yt-dlp's generic extractor lists (one item per link)."""
    items = "".join(f"<item><title>{i}</title><link>{u}</link></item>" for i, u in enumerate(links))
    feed = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )
    (folder / name).write_text(feed)


def test_a_playlist_is_expanded_by_a_job_that_queues_its_songs(
    stack: Stack, audio_server: str, audio_dir: Path
) -> None:
    existing = stack.add("song_a.m4a", audio_server)["song_id"]
    served = f"http://{audio_server}"
    links = [f"{served}/song_a.m4a", f"{served}/song_c.mp3", f"{served}/song_c.mp3"]
    write_feed(audio_dir, "expand.rss", [*links, "http://10.0.0.5/a.m4a"])
    reply = stack.client.post("/api/songs/bulk", json={"playlist": f"{served}/expand.rss"})
    assert reply.status_code == 202
    body = reply.get_json()
    (job,) = body["jobs"]
    assert job["kind"] == "expand_playlist" and job["status"] == "queued"
    assert body["existing"] == [] and body["errors"] == []
    done = stack.wait_job(job["id"])
    assert done["status"] == "done" and done["progress"] == 100, done
    assert done["note"].startswith("1 song(s) queued, 1 already in the library, 1 refused")
    assert "10.0.0.5" in done["note"]
    jobs = stack.client.get("/api/jobs?limit=50").get_json()["items"]
    (child,) = [j for j in jobs if j["source"] == f"{served}/song_c.mp3"]
    song_id = stack.wait_job(child["id"])["song_id"]
    listed = {s["id"] for s in stack.client.get("/api/songs").get_json()["items"]}
    assert listed == {existing, song_id}


def test_a_playlist_that_cannot_be_listed_fails_its_job_not_the_request(
    stack: Stack, audio_server: str, audio_dir: Path
) -> None:
    write_feed(audio_dir, "empty.rss", [])
    for page, reason in (("absent.rss", "unavailable"), ("empty.rss", "lists no videos")):
        reply = stack.client.post(
            "/api/songs/bulk", json={"playlist": f"http://{audio_server}/{page}"}
        )
        assert reply.status_code == 202
        done = stack.wait_job(reply.get_json()["jobs"][0]["id"])
        assert done["status"] == "failed" and reason in done["error"], done


def test_a_video_is_not_a_playlist(stack: Stack) -> None:
    url = "https://www.youtube.com/watch?v=QDYfEBY9NM4"
    reply = stack.client.post("/api/songs/bulk", json={"playlist": url})
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "invalid_input"
    assert stack.client.get("/api/jobs").get_json()["items"] == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("not a url", "invalid_source"),
        ("ftp://www.youtube.com/watch?v=QDYfEBY9NM4", "invalid_source"),
        ("https://example.com/song.mp3", "invalid_source"),
        ("http://localhost:8000/a.m4a", "invalid_source"),
        ("http://127.0.0.1/a.m4a", "invalid_source"),
        ("http://10.0.0.5/a.m4a", "invalid_source"),
        ("http://169.254.169.254/latest/meta-data", "invalid_source"),
        ("http://[::1]/a.m4a", "invalid_source"),
        ("https://www.youtube.com/watch?v=short", "invalid_source"),
        ("https://www.youtube.com/playlist?list=PL1234567890abcdef", "invalid_input"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(stack: Stack, url: str, code: str) -> None:
    reply = stack.client.post("/api/songs", json={"url": url})
    assert reply.status_code == 400
    error = reply.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert stack.client.get("/api/jobs").get_json()["items"] == []


def test_missing_url_field_is_invalid_input(stack: Stack) -> None:
    reply = stack.client.post("/api/songs", json={"link": "x"})
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "invalid_input"
    assert "url" in reply.get_json()["error"]["message"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("missing.m4a", "unavailable"),
        ("long.m4a", "longer than"),
        ("notes.txt", "not decodable"),
    ],
)
def test_failed_downloads_carry_a_reason(
    stack: Stack, audio_server: str, name: str, words: str
) -> None:
    done = stack.add(name, audio_server)
    assert done["status"] == "failed" and done["stage"] == "failed"
    assert words in done["error"]
    assert stack.client.get("/api/songs").get_json()["total"] == 0
    # A failed job frees its URL: the user can try again.
    assert (
        stack.client.post("/api/songs", json={"url": f"http://{audio_server}/{name}"}).status_code
        == 202
    )


@pytest.mark.parametrize("name", ["notes.txt", "corrupt.m4a"])
def test_non_audio_upload_is_422(stack: Stack, audio_dir: Path, name: str) -> None:
    reply = upload(stack, audio_dir / name)
    assert reply.status_code == 422
    assert reply.get_json()["error"]["code"] == "undecodable_audio"


def test_upload_over_the_cap_is_413(stack: Stack) -> None:
    big = io.BytesIO(b"\0" * (stack.settings.max_upload_bytes + 10))
    reply = stack.client.post(
        "/api/songs/upload", data={"file": (big, "big.wav")}, content_type="multipart/form-data"
    )
    assert reply.status_code == 413
    assert reply.get_json()["error"]["code"] == "too_large"


def test_upload_without_file_is_400(stack: Stack) -> None:
    reply = stack.client.post("/api/songs/upload", data={}, content_type="multipart/form-data")
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    "path", ["/api/songs/nope", "/api/songs/6650c0ffee6650c0ffee6650", "/api/jobs/nope"]
)
def test_unknown_ids_are_404(stack: Stack, path: str) -> None:
    reply = stack.client.get(path)
    assert reply.status_code == 404 and reply.get_json()["error"]["code"] == "not_found"
    assert (
        stack.client.patch("/api/songs/6650c0ffee6650c0ffee6650", json={"title": "x"}).status_code
        == 404
    )
    assert stack.client.delete("/api/songs/6650c0ffee6650c0ffee6650").status_code == 404
