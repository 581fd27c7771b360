"""Who may read and write: the API key on every write, private reads, the audit log of writes,
and the security headers on every answer."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from backend.access import fingerprint
from backend.api.app import create_app
from backend.settings import Settings
from backend.storage.embedded import EmbeddedMongo
from model.errors import Misconfigured
from tests.backend.stack import Stack, build_stack

MISSING = "6650c0ffee6650c0ffee6650"
WRITES = [
    ("delete", f"/api/songs/{MISSING}", None),
    ("patch", f"/api/songs/{MISSING}", {"title": "Mine now"}),
    ("put", "/api/model/threshold", {"threshold": 0.99}),
    ("post", "/api/songs", {"url": "http://127.0.0.1:9/song.m4a"}),
    ("post", "/api/songs/delete", {"ids": [MISSING]}),
    ("post", "/api/model/reembed", None),
]


@pytest.fixture(scope="module")
def keyed(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Stack:
    """An app without a worker: these tests stop at the door, before any job."""
    return build_stack(tmp_path_factory.mktemp("keyed"), mongo, audio_server, worker=False)


@pytest.fixture(scope="module")
def private(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Stack:
    return build_stack(
        tmp_path_factory.mktemp("private"), mongo, audio_server, worker=False, private_reads=True
    )


def call(client: Any, method: str, path: str, body: Any, **headers: str) -> Any:
    return getattr(client, method)(path, json=body, headers=headers)


def test_the_api_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(Misconfigured, match="API_KEY is not set"):
        create_app(Settings(data_dir=tmp_path))
    assert not (tmp_path / "db").exists(), "it refused before starting anything"


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_anonymous_and_wrong_key_writes_are_refused(
    keyed: Stack, method: str, path: str, body: Any
) -> None:
    for reply in (
        call(keyed.anonymous, method, path, body),
        call(keyed.anonymous, method, path, body, **{"X-API-Key": "guess"}),
    ):
        assert reply.status_code == 401, reply.get_json()
        assert reply.get_json()["error"]["code"] == "unauthorized"
    signed = call(keyed.client, method, path, body)
    assert signed.status_code != 401, signed.get_json()


def test_the_threshold_is_unchanged_by_a_refused_write(keyed: Stack) -> None:
    before = keyed.anonymous.get("/api/model").get_json()["threshold"]
    assert keyed.anonymous.put("/api/model/threshold", json={"threshold": 0.01}).status_code == 401
    assert keyed.anonymous.get("/api/model").get_json()["threshold"] == before


def test_a_cookie_opens_reads_but_never_writes(private: Stack) -> None:
    assert private.settings.api_key is not None
    client = private.anonymous
    client.set_cookie("coverscope_key", private.settings.api_key.get_secret_value())
    assert client.get(f"/api/songs/{MISSING}/audio").status_code == 404  # past the door
    assert client.delete(f"/api/songs/{MISSING}").status_code == 401


def test_reads_are_public_by_default(keyed: Stack) -> None:
    assert keyed.anonymous.get("/api/songs").status_code == 200
    assert keyed.anonymous.get(f"/api/songs/{MISSING}/audio").status_code == 404


def test_private_reads_need_the_key_except_health_and_docs(private: Stack) -> None:
    anonymous = private.anonymous
    for path in ("/api/songs", "/api/stats", "/api/jobs", f"/api/songs/{MISSING}/audio"):
        reply = anonymous.get(path)
        assert reply.status_code == 401, path
        assert reply.get_json()["error"]["code"] == "unauthorized"
    assert private.client.get("/api/songs").status_code == 200
    assert private.client.get(f"/api/songs/{MISSING}/audio").status_code == 404
    assert anonymous.get("/api/health").status_code == 200
    assert anonymous.get("/api/openapi.json").status_code == 200
    assert anonymous.get("/api/docs").status_code == 200


def test_every_write_is_audited_without_the_key(keyed: Stack) -> None:
    log = keyed.settings.audit_log
    log.unlink(missing_ok=True)
    keyed.anonymous.delete(f"/api/songs/{MISSING}", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    keyed.client.patch(f"/api/songs/{MISSING}", json={"title": "x"})
    keyed.client.get("/api/songs")  # a read: not audited
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("DELETE", f"/api/songs/{MISSING}", 401),
        ("PATCH", f"/api/songs/{MISSING}", 404),
    ]
    assert entries[0]["client"] == "203.0.113.7" and entries[0]["key"] is None
    assert keyed.settings.api_key is not None
    assert entries[1]["key"] == fingerprint(keyed.settings.api_key)
    assert all(e["time"].endswith("+00:00") for e in entries)
    assert keyed.settings.api_key.get_secret_value() not in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize("path", ["/api/health", "/api/nope", "/api/docs", "/api/openapi.json"])
def test_security_headers_on_every_answer(keyed: Stack, path: str) -> None:
    headers = keyed.anonymous.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    inline_scripts = "script-src 'self' 'unsafe-inline'" in policy
    assert inline_scripts == (path == "/api/docs"), "only Swagger UI's page runs inline script"


def test_a_refused_write_still_carries_the_headers(keyed: Stack) -> None:
    reply = keyed.anonymous.post("/api/songs", json={"url": "x"})
    assert reply.status_code == 401 and reply.headers["X-Frame-Options"] == "DENY"
