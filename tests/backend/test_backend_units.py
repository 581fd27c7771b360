"""Small pieces: URL vetting, settings, array packing, the search index against brute force."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from backend.ingest.intake import urls_from_csv
from backend.ingest.sources import validate_url
from backend.search.vector_index import VectorIndex
from backend.settings import Settings
from backend.storage.db import connect, pack_array, unpack_array
from backend.storage.embedded import EmbeddedMongo
from backend.storage.feature_store import LocalStore, array_bytes, bytes_array
from backend.storage.song_repository import SongRepository
from model.errors import InvalidSource, NotFound
from model.verdict import Calibration


@pytest.mark.parametrize(
    ("url", "video_id"),
    [
        ("https://www.youtube.com/watch?v=QDYfEBY9NM4", "QDYfEBY9NM4"),
        ("https://youtu.be/QDYfEBY9NM4?t=10", "QDYfEBY9NM4"),
        ("https://m.youtube.com/watch?v=QDYfEBY9NM4&list=x", "QDYfEBY9NM4"),
        ("https://music.youtube.com/watch?v=QDYfEBY9NM4", "QDYfEBY9NM4"),
        ("https://www.youtube.com/shorts/QDYfEBY9NM4", "QDYfEBY9NM4"),
        (" https://WWW.YOUTUBE.COM/watch?v=QDYfEBY9NM4 ", "QDYfEBY9NM4"),
    ],
)
def test_youtube_urls_share_one_video_id(url: str, video_id: str) -> None:
    source = validate_url(url, Settings())
    assert source.video_id == video_id and source.kind == "youtube"
    assert source.url == f"https://www.youtube.com/watch?v={video_id}"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://user:pw@www.youtube.com/watch?v=QDYfEBY9NM4",
        "http://localhost:5000/x",
        "http://app.localhost/x",
        "http://127.0.0.1:9/x",
        "http://192.168.1.10/x",
        "http://172.16.0.1/x",
        "http://169.254.169.254/x",
        "http://[fe80::1]/x",
        "http://0.0.0.0/x",
        "https://vimeo.com/123",
        "http://www.youtube.com:99999/watch?v=QDYfEBY9NM4",
    ],
)
def test_refused_urls(url: str) -> None:
    with pytest.raises(InvalidSource):
        validate_url(url, Settings())


def test_loopback_is_allowed_only_for_the_configured_test_source() -> None:
    settings = Settings(test_source="127.0.0.1:8123")
    assert validate_url("http://127.0.0.1:8123/a.m4a", settings).kind == "web"
    for url in (
        "http://127.0.0.1:8124/a.m4a",
        "https://127.0.0.1:8123/a.m4a",
        "http://localhost:8123/a",
    ):
        with pytest.raises(InvalidSource):
            validate_url(url, settings)
    with pytest.raises(InvalidSource):
        validate_url("https://www.youtube.com/watch?v=QDYfEBY9NM4", Settings(allowed_sources=()))


def test_settings_from_the_environment_and_to_a_child_process() -> None:
    env = {
        "MONGODB_URI": "mongodb://db:27017",
        "FEATURE_STORE": "gs://b/p",
        "REDIS_URL": "redis://r:6379/0",
        "API_KEY": "s3cr3t",
        "MODEL_PATH": "/m.pt",
        "ALLOWED_SOURCES": "youtube, other",
        "MAX_UPLOAD_BYTES": "10",
        "COVERSCOPE_DATA_DIR": "/srv/data",
    }
    settings = Settings.from_env(env)
    assert settings.mongodb_uri == "mongodb://db:27017"
    assert settings.api_key is not None and settings.api_key.get_secret_value() == "s3cr3t"
    assert "s3cr3t" not in repr(settings)
    assert settings.allowed_sources == ("youtube", "other") and settings.max_upload_bytes == 10
    assert settings.model_path == Path("/m.pt") and settings.data_dir == Path("/srv/data")
    assert Settings.from_env(settings.environment()) == settings
    assert Settings.from_env({}).api_key is None and Settings.from_env({}).mongodb_uri is None


def test_arrays_round_trip_without_pickle() -> None:
    x = np.random.default_rng(0).standard_normal((12, 50)).astype(np.float32)
    assert np.array_equal(unpack_array(pack_array(x)), x)
    assert np.array_equal(bytes_array(array_bytes(x)), x)
    with pytest.raises(ValueError):
        bytes_array(array_bytes(np.array([{"a": 1}], dtype=object)))


def test_local_store_refuses_keys_outside_its_folder(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "features")
    store.put("hpcp/x.npy", b"abc")
    assert store.get("hpcp/x.npy") == b"abc"
    with pytest.raises(NotFound):
        store.get("../secret")
    with pytest.raises(NotFound):
        store.get("hpcp/missing.npy")


def test_csv_urls() -> None:
    data = b"\xef\xbb\xbfurl,title\nhttps://youtu.be/QDYfEBY9NM4,Let it be\n\n x , https://a.b/c \n"
    assert urls_from_csv(data) == ["https://youtu.be/QDYfEBY9NM4", "https://a.b/c"]


def test_search_index_matches_brute_force(mongo: EmbeddedMongo) -> None:
    settings = Settings(mongodb_uri=mongo.uri, mongodb_db=f"u_{uuid.uuid4().hex[:10]}")
    repo = SongRepository(connect(mongo.uri, settings))
    repo.ensure_indexes()
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((40, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [
        str(repo.insert({"title": f"s{i}", "model_version": "v1"}, v)["_id"])
        for i, v in enumerate(vectors)
    ]
    repo.insert({"title": "old", "model_version": "v0"}, vectors[0])
    index = VectorIndex(repo, "v1", Calibration, check_every=0.0)
    query = vectors[3]
    hits = index.nearest(query, limit=5, exclude=ids[3])
    brute = sorted(
        (float(np.linalg.norm(query - v)), ids[i]) for i, v in enumerate(vectors) if i != 3
    )[:5]
    assert [str(doc["_id"]) for doc, _ in hits] == [i for _, i in brute]
    assert [d for _, d in hits] == pytest.approx([d for d, _ in brute], abs=1e-5)
    # A deleted song disappears at the next query (the library version changed).
    repo.delete(brute[0][1])
    assert brute[0][1] not in {str(doc["_id"]) for doc, _ in index.nearest(query, limit=5)}
    assert len(index.snapshot().songs) == 39  # the v0 song is not mixed in


def test_model_figures_read_whatever_the_evaluation_left(tmp_path: Path) -> None:
    from backend.api.model import evaluation_figures

    assert evaluation_figures(tmp_path / "absent") == ({}, {})
    folder = tmp_path / "evaluation"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json")
    (folder / "covers80-hybrid.json").write_text(
        json.dumps({"method": "hybrid", "MAP": 0.7, "curves": {"roc": [[0, 0], [1, 1]], "pr": []}})
    )
    (folder / "covers80-embedding.json").write_text(
        json.dumps({"method": "embedding", "MAP": 0.5, "curves": {"roc": [[0, 1]], "pr": [[1, 1]]}})
    )
    benchmarks, curves = evaluation_figures(folder)
    assert set(benchmarks) == {"covers80-embedding", "covers80-hybrid"}
    assert (
        benchmarks["covers80-hybrid"]["MAP"] == 0.7
        and "curves" not in benchmarks["covers80-hybrid"]
    )
    assert curves == {"roc": [[0, 1]], "pr": [[1, 1]], "thresholds": []}


def test_catalog_pages_match_the_database_query(mongo: EmbeddedMongo) -> None:
    """The in-memory listing answers exactly what the database query answers."""
    from backend.search.listing import page_from_catalog

    settings = Settings(mongodb_uri=mongo.uri, mongodb_db=f"u_{uuid.uuid4().hex[:10]}")
    repo = SongRepository(connect(mongo.uri, settings))
    repo.ensure_indexes()
    rng = np.random.default_rng(2)
    words = ["Yellow", "Blue", "yellow submarine", "Red", "Green day", "blues"]
    for i in range(30):
        vector = rng.standard_normal(8).astype(np.float32)
        song = {
            "title": f"{words[i % 6]} {i}",
            "artist": words[(i * 5) % 6],
            "tags": [words[i % 4]],
            "duration": None if i % 7 == 0 else float(i % 5),
            "model_version": "v1",
        }
        repo.insert(song, vector / np.linalg.norm(vector))
    index = VectorIndex(repo, "v1", Calibration, check_every=0.0)
    snap = index.snapshot()
    for q in (None, "yellow", "BLUE", "day", "nothing"):
        for sort in ("created_at", "title", "artist", "duration"):
            for order in ("asc", "desc"):
                for page in (1, 3):
                    want = repo.find_page(q, page=page, per_page=4, sort=sort, order=order)
                    got = page_from_catalog(snap, q, page=page, per_page=4, sort=sort, order=order)
                    assert [d["_id"] for d in got[0]] == [d["_id"] for d in want[0]], (
                        q,
                        sort,
                        order,
                    )
                    assert got[1] == want[1]
