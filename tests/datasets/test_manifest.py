"""The manifest round-trips, and no Covers80 path can enter one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from datasets.manifest import (
    Covers80Refused,
    ManifestEntry,
    read_manifest,
    refuse_covers80,
    write_manifest,
)


def entry(work: str = "essen:erk10:E0001", version: int = 0, **changes: object) -> ManifestEntry:
    base = ManifestEntry(
        work_id=work,
        version_id=f"{work}#v{version}",
        source="music21-essen-variants",
        feature_path=f"features/ab/{work.replace(':', '_')}__v{version}.npy",
        duration=42.5,
        split="train",
        licence="test",
        transform="+2 st, 100 bpm",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_round_trip(tmp_path: Path) -> None:
    entries = [
        entry(version=0),
        entry(version=1, audio_path="audio/x.ogg"),
        entry("bach:x", 0, split="val"),
    ]
    path = write_manifest(tmp_path / "manifest.jsonl", entries)
    assert read_manifest(path) == entries
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    assert json.loads(lines[0])["audio_path"] is None


@pytest.mark.parametrize(
    "path",
    ["/data/covers80/coversongs/covers32k/A/1.mp3", "/x/Covers80-features/a.npy", "COVERS80/a.npy"],
)
def test_test_set_paths_are_refused(path: str) -> None:
    with pytest.raises(Covers80Refused):
        refuse_covers80(path)


def test_guard_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    test_set = tmp_path / "benchmark"
    (test_set / "songs").mkdir(parents=True)
    monkeypatch.setenv("COVERS80_DIR", str(test_set))
    with pytest.raises(Covers80Refused):
        refuse_covers80(test_set / "songs" / "a.mp3")
    refuse_covers80(tmp_path / "elsewhere.npy")


def test_symlink_into_covers80_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "covers80"
    real.mkdir()
    (real / "a.npy").write_bytes(b"")
    link = tmp_path / "innocent"
    link.symlink_to(real)
    with pytest.raises(Covers80Refused):
        refuse_covers80(link / "a.npy")


def test_manifest_with_a_test_set_entry_is_not_written_or_read(tmp_path: Path) -> None:
    bad = entry(feature_path="../covers80/features/a.npy")
    with pytest.raises(Covers80Refused):
        write_manifest(tmp_path / "manifest.jsonl", [entry(), bad])
    assert not (tmp_path / "manifest.jsonl").exists()
    (tmp_path / "manifest.jsonl").write_text(bad.to_json() + "\n")
    with pytest.raises(Covers80Refused):
        read_manifest(tmp_path / "manifest.jsonl")
    with pytest.raises(Covers80Refused):
        write_manifest(tmp_path / "m.jsonl", [entry(source="covers80")])
