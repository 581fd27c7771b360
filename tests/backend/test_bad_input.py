"""Hostile and malformed input gets a clear 4xx with the usual error body, never a 500, and
uploads are decoded only as audio (no playlist or concat file makes ffmpeg read another file).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from model.audio import ffmpeg_exe
from tests.backend.stack import Stack, wait_until


def post_file(stack: Stack, route: str, data: bytes, name: str, **form: str) -> Any:
    fields = {"file": (io.BytesIO(data), name), **form}
    return stack.client.post(route, data=fields, content_type="multipart/form-data")


def assert_error(reply: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert reply.status_code == status, (reply.status_code, reply.get_data(as_text=True)[:300])
    error: dict[str, Any] = reply.get_json()["error"]
    assert set(error) == {"code", "message"} and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


UPLOAD_ROUTES = ["/api/songs/upload", "/api/rank"]


@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_a_file_that_is_not_audio_is_refused_by_its_own_name(stack: Stack, route: str) -> None:
    error = assert_error(
        post_file(stack, route, b"minutes of the meeting", "notes.mp3"), 422, "undecodable_audio"
    )
    assert error["message"].startswith("notes.mp3 is not decodable audio"), error
    assert stack.client.get("/api/songs").get_json()["total"] == 0


@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_playlists_naming_server_files_are_refused_without_revealing_if_they_exist(
    stack: Stack, audio_dir: Path, route: str
) -> None:
    present, absent = audio_dir / "song_c.mp3", audio_dir / "no-such-song.mp3"
    replies = []
    for target in (present, absent):
        playlists = {
            "list.m3u8": f"#EXTM3U\n#EXT-X-TARGETDURATION:9\n#EXTINF:8.0,\n{target}\n"
            "#EXT-X-ENDLIST\n",
            "list.ffconcat": f"ffconcat version 1.0\nfile '{target}'\n",
        }
        for name, text in playlists.items():
            reply = post_file(stack, route, text.encode(), name)
            assert_error(reply, 422, "undecodable_audio")
            replies.append((name, reply.get_json()))
    by_name: dict[str, list[Any]] = {}
    for name, body in replies:
        by_name.setdefault(name, []).append(body)
    assert all(a == b for a, b in by_name.values()), by_name
    assert stack.client.get("/api/songs").get_json()["total"] == 0


def tagged_copy(source: Path, target: Path, **tags: str) -> Path:
    metadata = [arg for key, value in tags.items() for arg in ("-metadata", f"{key}={value}")]
    copy = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-c", "copy"]
    subprocess.run([*copy, *metadata, str(target)], check=True)
    return target


def test_an_uploads_title_comes_from_its_tags_and_ranges_are_served_or_ignored(
    stack: Stack, audio_dir: Path, tmp_path: Path
) -> None:
    tagged = tagged_copy(
        audio_dir / "song_c.mp3",
        tmp_path / "track01.mp3",
        title="Autumn Leaves",
        artist="Chet Baker",
        album="Chet",
    )
    reply = post_file(stack, "/api/songs/upload", tagged.read_bytes(), tagged.name)
    assert reply.status_code == 202, reply.get_json()
    done = stack.wait_job(reply.get_json()["job"]["id"])
    assert done["status"] == "done", done
    song = stack.client.get(f"/api/songs/{done['song_id']}").get_json()
    assert (song["title"], song["artist"]) == ("Autumn Leaves", "Chet Baker")

    audio = f"/api/songs/{done['song_id']}/audio"
    whole = tagged.read_bytes()
    for ignored in ("bytes=0-1,5-6", "items=0-5", "bytes=oops"):
        got = stack.client.get(audio, headers={"Range": ignored})
        assert got.status_code == 200 and got.data == whole, (ignored, got.status_code)
    part = stack.client.get(audio, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == whole[10:20]
    beyond = stack.client.get(audio, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416


def test_a_title_from_a_file_name_is_capped(stack: Stack, audio_dir: Path) -> None:
    name = "x" * 5000 + ".mp3"
    reply = post_file(stack, "/api/songs/upload", (audio_dir / "song_c.mp3").read_bytes(), name)
    assert reply.status_code == 202, reply.get_json()
    done = stack.wait_job(reply.get_json()["job"]["id"])
    assert done["status"] == "done", done
    song = stack.client.get(f"/api/songs/{done['song_id']}").get_json()
    assert song["title"] == "x" * 200


@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_a_nul_byte_in_an_upload_name_is_400(stack: Stack, audio_dir: Path, route: str) -> None:
    data = (audio_dir / "song_c.mp3").read_bytes()
    assert_error(post_file(stack, route, data, "evil\x00name.mp3"), 400, "invalid_input")


LONE_SURROGATE = [
    ("POST", "/api/songs", '{"url": "http://SERVER/song_a.m4a", "title": "\\ud800"}'),
    ("POST", "/api/songs/bulk", '{"urls": ["http://SERVER/\\udfff.m4a"]}'),
    ("POST", "/api/songs/delete", '{"ids": ["\\ud800"]}'),
    ("PATCH", "/api/songs/0123456789abcdef01234567", '{"title": "\\ud83d"}'),
]


@pytest.mark.parametrize(("method", "route", "raw"), LONE_SURROGATE)
def test_a_lone_surrogate_in_json_is_400(
    stack: Stack, audio_server: str, method: str, route: str, raw: str
) -> None:
    body = raw.replace("SERVER", audio_server).encode()
    reply = stack.client.open(route, method=method, data=body, content_type="application/json")
    assert_error(reply, 400, "invalid_input")


def test_a_refused_add_leaves_no_claim_behind(stack: Stack, audio_server: str) -> None:
    url = f"http://{audio_server}/song_a.m4a"
    raw = ('{"url": "URL", "title": "\\ud800"}').replace("URL", url).encode()
    assert_error(stack.client.post("/api/songs", data=raw, content_type="application/json"), 400)
    assert stack.components.jobs.claims.count_documents({}) == 0
    reply = stack.client.post("/api/songs", json={"url": url})
    assert reply.status_code == 202, reply.get_json()
    assert stack.wait_job(reply.get_json()["job"]["id"])["status"] == "done"


@pytest.mark.parametrize("route", ["/api/songs", "/api/songs/bulk", "/api/model/threshold"])
def test_json_nested_100000_deep_is_400(stack: Stack, route: str) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    method = "PUT" if route.endswith("threshold") else "POST"
    reply = stack.client.open(route, method=method, data=deep, content_type="application/json")
    assert_error(reply, 400, "invalid_input")


def test_a_bulk_csv_with_bare_carriage_returns_is_read_as_lines(
    stack: Stack, audio_server: str
) -> None:
    csv = f"url\rhttp://{audio_server}/song_a.m4a\rhttp://{audio_server}/song_c.mp3\r".encode()
    reply = post_file(stack, "/api/songs/bulk", csv, "list.csv")
    assert reply.status_code == 202, reply.get_data(as_text=True)[:300]
    jobs = reply.get_json()["jobs"]
    assert len(jobs) == 2
    for job in jobs:
        assert stack.wait_job(job["id"])["status"] == "done"


def test_the_worker_reaps_temp_folders_left_by_a_killed_worker(stack: Stack) -> None:
    scratch = stack.settings.scratch_dir
    scratch.mkdir(parents=True, exist_ok=True)
    orphan = scratch / "coverscope-up-killed"
    orphan.mkdir()
    (orphan / "upload.mp3").write_bytes(b"\0" * 1000)
    old = time.time() - stack.settings.scratch_grace_s - 60
    os.utime(orphan / "upload.mp3", (old, old))
    os.utime(orphan, (old, old))
    live = scratch / "coverscope-up-running"
    live.mkdir()
    (live / "upload.mp3").write_bytes(b"\0" * 1000)

    assert stack.worker is not None
    stack.worker.send_signal(signal.SIGKILL)
    stack.worker.wait(10)
    stack.start_worker()
    wait_until(lambda: not orphan.exists(), what="the orphaned temp folder to be reaped")
    assert (live / "upload.mp3").is_file()
