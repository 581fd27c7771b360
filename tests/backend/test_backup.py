"""``coverscope export`` / ``import``: a library survives the round trip into a fresh data
folder bit for bit, and an altered or path-traversing archive is refused and imports nothing."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backend.backup.command import library_storage
from backend.backup.library import feature_keys
from backend.storage.embedded import EmbeddedMongo
from coverscope import cli
from tests.backend.stack import Stack, build_stack


@dataclass
class Exported:
    stack: Stack
    ids: dict[str, str]
    check: dict[str, Any]
    archive: Path


def run_cli(uri: str, db: str, *argv: str) -> int:
    """``coverscope ARGV`` reading its storage from the environment, as an operator runs it."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MONGODB_URI", uri)
        env.setenv("MONGODB_DB", db)
        env.delenv("FEATURE_STORE", raising=False)
        return cli.main(list(argv))


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, mongo: EmbeddedMongo, audio_server: str
) -> Iterator[Exported]:
    """Song A and its transposed cover, analysed, with an operator's threshold, exported."""
    stack = build_stack(tmp_path_factory.mktemp("source"), mongo, audio_server)
    ids = {}
    for name in ("song_a", "cover_a"):
        job = stack.add(f"{name}.m4a", audio_server, title=name)
        assert job["status"] == "done", job
        ids[name] = job["song_id"]
    stack.stop_worker()
    assert stack.client.put("/api/model/threshold", json={"threshold": 40.0}).status_code == 200
    check = stack.client.get(f"/api/check?a={ids['song_a']}&b={ids['cover_a']}").get_json()
    archive = tmp_path_factory.mktemp("backup") / "library.tar"
    settings = stack.settings
    assert settings.mongodb_uri == mongo.uri
    code = run_cli(
        mongo.uri,
        settings.mongodb_db,
        "export",
        "--data-dir",
        str(settings.data_dir),
        "--out",
        str(archive),
    )
    assert code == 0
    yield Exported(stack, ids, check, archive)


@pytest.fixture
def target(tmp_path: Path, mongo: EmbeddedMongo, audio_server: str) -> Stack:
    """An empty library (app, no worker) on its own data folder and database."""
    return build_stack(
        tmp_path / "restored",
        mongo,
        audio_server,
        worker=False,
        mongodb_db=f"r_{uuid.uuid4().hex[:12]}",
    )


def restore(target: Stack, archive: Path) -> int:
    assert target.settings.mongodb_uri is not None
    return run_cli(
        target.settings.mongodb_uri,
        target.settings.mongodb_db,
        "import",
        "--data-dir",
        str(target.settings.data_dir),
        str(archive),
    )


def test_round_trip_restores_songs_features_threshold_and_verdict(
    exported: Exported,
    target: Stack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = exported.stack.components
    assert restore(target, exported.archive) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (report["songs"], report["skipped"], report["threshold"]) == (2, 0, True)

    before = list(source.songs.documents())
    after = list(target.components.songs.documents())
    assert after == before
    assert all(len(feature_keys(doc)) == 3 for doc in before)  # HPCP, audio and analysis
    for doc in before:
        for key in feature_keys(doc):
            assert target.components.store.get(key) == source.store.get(key)
    assert target.components.songs.model_settings() == source.songs.model_settings()

    ids = exported.ids
    check = target.client.get(f"/api/check?a={ids['song_a']}&b={ids['cover_a']}").get_json()
    assert check["threshold"] == exported.check["threshold"] == 40.0
    assert check["distance"] == exported.check["distance"]
    assert check["is_cover"] == exported.check["is_cover"]

    # Importing the same backup again adds nothing.
    assert restore(target, exported.archive) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["songs"], again["skipped"], again["features"]) == (0, 2, 0)
    assert target.components.songs.count() == 2


def tampered(src: Path, dst: Path, victim: str) -> None:
    """The archive with one byte of member ``victim`` flipped (same size, manifest kept)."""
    with tarfile.open(src) as old, tarfile.open(dst, "w") as new:
        for member in old:
            handle = old.extractfile(member)
            assert handle is not None
            data = bytearray(handle.read())
            if member.name == victim:
                data[len(data) // 2] ^= 0xFF
            new.addfile(member, io.BytesIO(bytes(data)))


def with_listed_member(src: Path, dst: Path, info: tarfile.TarInfo, data: bytes) -> None:
    """The archive plus ``info`` (listed in the manifest with its true size and hash)."""
    with tarfile.open(src) as old, tarfile.open(dst, "w") as new:
        for member in old:
            handle = old.extractfile(member)
            assert handle is not None
            body = handle.read()
            if member.name == "manifest.json":
                manifest = json.loads(body)
                digest = hashlib.sha256(data).hexdigest()
                manifest["members"][info.name] = {"size": len(data), "sha256": digest}
                body = json.dumps(manifest).encode()
                member.size = len(body)
            new.addfile(member, io.BytesIO(body))
        new.addfile(info, io.BytesIO(data) if info.isreg() else None)


def assert_refused(
    target: Stack, archive: Path, capsys: pytest.CaptureFixture[str], why: str
) -> None:
    assert restore(target, archive) == 2
    error = capsys.readouterr().err
    assert why in error, error
    assert target.components.songs.count() == 0
    assert target.components.songs.model_settings() == {}
    features = target.settings.feature_dir
    assert not features.exists() or not any(p.is_file() for p in features.rglob("*"))


@pytest.mark.parametrize("kind", ["audio/", "songs.jsonl"])
def test_an_altered_member_is_refused_and_nothing_imported(
    kind: str,
    exported: Exported,
    target: Stack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with tarfile.open(exported.archive) as tar:
        victim = next(m.name for m in tar if kind in m.name)
    bad = tmp_path / "bad.tar"
    tampered(exported.archive, bad, victim)
    assert_refused(target, bad, capsys, f"member {victim!r} was altered")


def test_path_traversal_and_links_are_refused(
    exported: Exported,
    target: Stack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    escape = tarfile.TarInfo("features/../../escaped.txt")
    escape.size = 3
    bad = tmp_path / "traversal.tar"
    with_listed_member(exported.archive, bad, escape, b"owned")
    assert_refused(target, bad, capsys, "unsafe member name")

    absolute = tarfile.TarInfo(str(tmp_path / "absolute.txt"))
    bad = tmp_path / "absolute.tar"
    with_listed_member(exported.archive, bad, absolute, b"")
    assert_refused(target, bad, capsys, "unsafe member name")

    link = tarfile.TarInfo("features/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    bad = tmp_path / "link.tar"
    with_listed_member(exported.archive, bad, link, b"")
    assert_refused(target, bad, capsys, "not a regular file")
    assert (
        not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    )


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        found = {}
        for member in tar:
            handle = tar.extractfile(member)
            assert handle is not None
            found[member.name] = handle.read()
        return found


def test_embedded_database_is_started_and_stopped_like_serve(
    exported: Exported, tmp_path: Path
) -> None:
    """With no MONGODB_URI both commands run the embedded database under the data folder:
    a backup imported there and exported again holds the same songs and objects."""
    data = tmp_path / "embedded"
    again = tmp_path / "again.tar"
    with pytest.MonkeyPatch.context() as env:
        for name in ("MONGODB_URI", "MONGODB_DB", "FEATURE_STORE"):
            env.delenv(name, raising=False)
        with library_storage(data) as (_, storage):
            storage.edges.mark_rebuilt("scorer|model")  # a graph built before the restore
        assert cli.main(["import", "--data-dir", str(data), str(exported.archive)]) == 0
        assert cli.main(["export", "--data-dir", str(data), "--out", str(again)]) == 0
        with library_storage(data) as (_, storage):
            # the graph is not in the archive: marked stale, the next worker start links them
            assert storage.edges.stamp() is None
    assert (data / "db").is_dir()
    first, second = members(exported.archive), members(again)
    assert {k: v for k, v in second.items() if k != "manifest.json"} == {
        k: v for k, v in first.items() if k != "manifest.json"
    }
