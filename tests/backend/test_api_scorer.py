"""The fused scorer behind the API: verdicts on renditions, one score everywhere, backfill,
the evidence report. Real services on loopback, songs uploaded through the API."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.storage.embedded import EmbeddedMongo
from model.analysis import ANALYSIS_VERSION, SongAnalysis, analyse
from model.audio import decode, encode
from model.embed import Embedder
from model.errors import NotFound
from model.score import ScorerConfig, score_pair
from tests.backend.stack import REPO, Stack, build_stack
from tests.renditions import tune_rendition_stranger

MALICIOUS = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def rendition_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tune, a transposed (+3), faster, brighter rendition of it, and a different tune."""
    folder = tmp_path_factory.mktemp("renditions")
    signals = dict(
        zip(("tune", "rendition", "other"), tune_rendition_stranger(seconds=30.0), strict=True)
    )
    return {name: encode(y, folder / f"{name}.m4a") for name, y in signals.items()}


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory,
    mongo: EmbeddedMongo,
    audio_server: str,
    rendition_files: dict[str, Path],
) -> Iterator[tuple[Stack, dict[str, str]]]:
    stack = build_stack(
        tmp_path_factory.mktemp("scorer"),
        mongo,
        audio_server,
        max_duration_s=60.0,
        max_upload_bytes=5_000_000,
    )
    ids = {name: stack.upload(path, title=name) for name, path in rendition_files.items()}
    yield stack, ids
    stack.stop_worker()


def check(stack: Stack, a: str, b: str) -> dict[str, Any]:
    reply = stack.client.get(f"/api/check?a={a}&b={b}")
    assert reply.status_code == 200, reply.get_json()
    out: dict[str, Any] = reply.get_json()
    return out


def test_ingest_stores_a_versioned_analysis(library: tuple[Stack, dict[str, str]]) -> None:
    stack, ids = library
    doc = stack.components.songs.get(ids["tune"])
    assert doc["analysis_version"] == ANALYSIS_VERSION
    assert doc["analysis_key"].startswith(f"analysis/v{ANALYSIS_VERSION}/")
    stored = SongAnalysis.from_bytes(stack.components.store.get(doc["analysis_key"]))
    assert stored.duration == pytest.approx(30.0, abs=0.1) and stored.levels


def test_a_rendition_is_a_cover_and_another_tune_is_not(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    cover = check(stack, ids["tune"], ids["rendition"])
    stranger = check(stack, ids["tune"], ids["other"])
    assert cover["is_cover"] is True and cover["probability"] > 0.5
    assert stranger["is_cover"] is False and stranger["probability"] < 0.5
    assert cover["distance"] < stranger["distance"]
    assert cover["key_shift"] == -3  # the rendition is three semitones up


def test_api_cli_and_scorer_give_the_same_score(
    library: tuple[Stack, dict[str, str]], rendition_files: dict[str, Path]
) -> None:
    stack, ids = library
    api = check(stack, ids["tune"], ids["other"])
    a_file, b_file = rendition_files["tune"], rendition_files["other"]
    embedder = Embedder.load()
    direct = score_pair(
        analyse(decode(a_file), embedder=embedder),
        analyse(decode(b_file), embedder=embedder),
        config=ScorerConfig.load(),
    )
    cli = json.loads(
        subprocess.run(
            [sys.executable, "-m", "coverscope.cli", "check", str(a_file), str(b_file), "--json"],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert api["distance"] == cli["distance"] == round(-direct.fused, 4)
    assert api["components"] == cli["components"]
    assert api["is_cover"] == cli["is_cover"] == direct.is_cover
    assert api["probability"] == cli["probability"] == round(direct.probability, 4)


def test_backfill_makes_an_analysis_less_song_checkable(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    songs, store = stack.components.songs, stack.components.store
    key = songs.get(ids["rendition"])["analysis_key"]
    # As if the rendition had been added before analyses existed.
    songs.songs.update_one(
        {"_id": songs.get(ids["rendition"])["_id"]},
        {"$unset": {"analysis_key": "", "analysis_version": ""}},
    )
    store.delete(key)
    pending = stack.client.get(f"/api/check?a={ids['tune']}&b={ids['rendition']}")
    assert pending.status_code == 409
    error = pending.get_json()["error"]
    assert error["code"] == "analysis_pending" and "backfill" in error["message"]
    assert stack.client.get("/api/model").get_json()["songs_without_analysis"] == 1

    reply = stack.client.post("/api/model/backfill")
    assert reply.status_code == 202
    job = stack.wait_job(reply.get_json()["job"]["id"])
    assert job["status"] == "done" and job["kind"] == "backfill_analyses", job
    assert job["result"] == {"analysed": 1, "not_analysable": []}
    assert songs.get(ids["rendition"])["analysis_key"] == key  # the same content, same key
    assert check(stack, ids["tune"], ids["rendition"])["is_cover"] is True


def test_backfill_lists_songs_without_stored_audio(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    songs, store = stack.components.songs, stack.components.store
    doc = songs.get(ids["tune"])
    audio = store.get(doc["audio_key"])
    songs.songs.update_one({"_id": doc["_id"]}, {"$unset": {"analysis_version": ""}})
    store.delete(doc["audio_key"])
    try:
        job = stack.wait_job(stack.client.post("/api/model/backfill").get_json()["job"]["id"])
        assert job["status"] == "done", job
        assert job["result"]["analysed"] == 0
        (skipped,) = job["result"]["not_analysable"]
        assert skipped["song_id"] == ids["tune"] and "audio" in skipped["reason"]
        assert stack.client.get(f"/api/check?a={ids['tune']}&b={ids['other']}").status_code == 409
    finally:
        store.put(doc["audio_key"], audio)
        songs.songs.update_one(
            {"_id": doc["_id"]}, {"$set": {"analysis_version": ANALYSIS_VERSION}}
        )


def test_deleting_a_song_removes_its_analysis(
    library: tuple[Stack, dict[str, str]], rendition_files: dict[str, Path]
) -> None:
    stack, ids = library
    store = stack.components.store
    doc = stack.components.songs.get(ids["other"])
    assert stack.client.delete(f"/api/songs/{ids['other']}").status_code == 204
    with pytest.raises(NotFound):
        store.get(doc["analysis_key"])
    ids["other"] = stack.upload(rendition_files["other"], title="other")


def test_the_report_shows_the_verdict_and_escapes_titles(
    library: tuple[Stack, dict[str, str]],
) -> None:
    stack, ids = library
    stack.client.patch(f"/api/songs/{ids['rendition']}", json={"title": MALICIOUS})
    out = check(stack, ids["tune"], ids["rendition"])
    reply = stack.client.get(out["report_url"])
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    assert "The same song (a cover)" in page
    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'src="data:image/png;base64,' in page and "http" not in page.split("<body>")[1]
    assert "@media print" in page
