"""Distributed mode: jobs over a real Redis, features in a GCS emulator bucket."""

from __future__ import annotations

import uuid
from pathlib import Path

from backend.storage.embedded import EmbeddedMongo
from tests.backend.stack import build_stack, make_bucket


def test_redis_queue_and_gcs_bucket(
    tmp_path: Path, mongo: EmbeddedMongo, audio_server: str, gcs_emulator: str, redis_url: str
) -> None:
    bucket = f"coverscope-{uuid.uuid4().hex[:8]}"
    make_bucket(bucket)
    stack = build_stack(
        tmp_path, mongo, audio_server, redis_url=redis_url, feature_store=f"gs://{bucket}/features"
    )
    try:
        a = stack.add("song_a.m4a", audio_server)
        b = stack.add("cover_a.m4a", audio_server)
        assert a["status"] == "done" and b["status"] == "done", (a, b)
        assert not (tmp_path / "features").exists()  # nothing went to the local folder
        audio = stack.client.get(f"/api/songs/{a['song_id']}/audio")
        assert audio.status_code == 200 and len(audio.data) > 1000
        check = stack.client.get(f"/api/check?a={a['song_id']}&b={b['song_id']}")
        assert check.status_code == 200 and check.get_json()["key_shift"] == -2
        assert stack.client.get("/api/health").get_json()["store"] == "ok"
    finally:
        stack.stop_worker()
