"""The debian-full corpus: duplicates dropped, versions grouped, fields true to the files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from datasets import real_recordings
from datasets.duplicates import fingerprint, relate, title_stem
from datasets.manifest import Covers80Refused
from datasets.real_corpus import read_tracks
from datasets.real_positives import build_positives
from datasets.real_recordings import build_corpus
from model.audio import decode, encode
from tests.signals import tune

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Files: *
Copyright: 2020 Someone
License: CC-BY-SA-3.0
"""


def fake_package(cache: Path, name: str, files: dict[str, np.ndarray | Path]) -> Path:
    """An unpacked package as ``debian_packages.fetch`` leaves it, with these audio files."""
    root = cache / "root" / name
    (root / ".unpacked").parent.mkdir(parents=True)
    (root / ".unpacked").write_text(f"{name}_1.0-1_all.deb\n")
    doc = root / "usr" / "share" / "doc" / name
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT)
    music = root / "usr" / "share" / "games" / name / "music"
    music.mkdir(parents=True)
    for filename, content in files.items():
        if isinstance(content, Path):
            shutil.copyfile(content, music / filename)
        else:
            encode(content, music / filename)
    return root


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two packages: five distinct recordings, a re-encoded and a byte-identical copy."""
    mp = pytest.MonkeyPatch()
    mp.setattr(real_recordings, "MIN_SECONDS", 8.0)
    mp.setattr(real_recordings, "MIN_BYTES", 0)
    tmp = tmp_path_factory.mktemp("debian")
    cache = tmp / "cache"
    theme = tune(0, seconds=14.0, seed=1)
    battle = tune(3, seconds=12.0, seed=2)
    root = fake_package(
        cache,
        "fake-music",
        {
            "theme.ogg": theme,
            "finale.ogg": theme[22050 * 3 : 22050 * 12],  # an excerpt of the theme
            "theme_loop.ogg": tune(-4, seconds=10.0, seed=4),  # another tune, same title
            "battle.flac": battle,
            "march.ogg": tune(7, seconds=12.0, seed=3),
            "jingle.ogg": tune(0, seconds=3.0, seed=5),
        },
    )
    flac = root / "usr/share/games/fake-music/music/battle.flac"
    fake_package(cache, "fake-data", {"battle.mp3": 0.6 * battle, "battle_again.flac": flac})
    build_corpus(tmp / "real", cache=cache, packages=("fake-music", "fake-data"), workers=1)
    mp.undo()
    return tmp / "real"


def test_duplicates_are_dropped_and_the_best_copy_kept(corpus: Path) -> None:
    ids = {t.track_id for t in read_tracks(corpus / "tracks.jsonl")}
    assert ids == {
        "fake-music:theme",
        "fake-music:finale",
        "fake-music:theme_loop",
        "fake-music:battle",
        "fake-music:march",
    }
    dropped = [json.loads(line) for line in (corpus / "duplicates.jsonl").open()]
    assert {d["track_id"]: d["kept"] for d in dropped} == {
        "fake-data:battle": "fake-music:battle",
        "fake-data:battle_again": "fake-music:battle",
    }
    assert not list((corpus / "audio").glob("fake-data/*"))


def test_versions_of_one_tune_share_a_group(corpus: Path) -> None:
    group = {t.track_id: t.group for t in read_tracks(corpus / "tracks.jsonl")}
    assert group["fake-music:theme"] is not None
    # the excerpt by its fingerprint, the loop by its title
    assert group["fake-music:finale"] == group["fake-music:theme_loop"] == group["fake-music:theme"]
    assert group["fake-music:battle"] is None and group["fake-music:march"] is None
    stats = json.loads((corpus / "stats.json").read_text())
    assert stats["negative_pairs"] == 10 - 3
    assert stats["tracks"] == 5 and stats["duplicates_dropped"] == 2 and stats["groups"] == 1


def test_manifest_fields_describe_the_files(corpus: Path) -> None:
    skipped = [json.loads(line) for line in (corpus / "skipped.jsonl").open()]
    assert [s["track_id"] for s in skipped] == ["fake-music:jingle"]
    for t in read_tracks(corpus / "tracks.jsonl"):
        audio = corpus / t.path
        assert t.sha256 == hashlib.sha256(audio.read_bytes()).hexdigest()
        assert t.licence == "CC-BY-SA-3.0" and t.package_version == "1.0-1"
        assert decode(audio).shape[0] / 22050 == pytest.approx(t.duration, abs=0.2)
        assert t.source_path.startswith("usr/share/games/")
    assert "CC-BY-SA-3.0" in (corpus / "licences" / "fake-music.txt").read_text()


def test_positives_are_transformed_ungrouped_tracks(corpus: Path) -> None:
    made = build_positives(corpus, count=5, seed=0, workers=1)
    assert {p.track_id for p in made} == {"fake-music:battle", "fake-music:march"}
    lines = [json.loads(x) for x in (corpus / "positives" / "positives.jsonl").open()]
    assert len(lines) == 2
    for p in lines:
        assert 1 <= abs(p["semitones"]) <= 4
        assert 0.05 <= abs(p["tempo"] - 1.0) <= 0.15
        original = decode(corpus / "positives" / p["original"])
        changed = decode(corpus / "positives" / p["transformed"])
        if p["structure"] is None:  # a faster version is shorter by the tempo factor
            assert changed.size / original.size == pytest.approx(1 / p["tempo"], rel=0.03)


def test_the_same_recording_is_recognised_and_a_different_one_is_not() -> None:
    a = tune(0, seconds=12.0, seed=1)
    louder_later = np.concatenate([np.zeros(11025, np.float32), 1.5 * a])
    assert relate(fingerprint(a), fingerprint(louder_later)).kind == "same"
    assert relate(fingerprint(a), fingerprint(tune(0, seconds=12.0, seed=9))).kind is None
    assert relate(fingerprint(a[: 22050 * 8]), fingerprint(a)).kind == "related"


@pytest.mark.parametrize(
    ("name", "stem"),
    [("theme", "theme"), ("Theme_Short", "theme"), ("theme-loop2", "theme"), ("track07", None),
     ("BattleTheme", "battle theme"), ("05", None)],
)  # fmt: skip
def test_title_stem(name: str, stem: str | None) -> None:
    assert title_stem(name) == stem


def test_a_corpus_inside_the_test_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Covers80Refused):
        build_corpus(tmp_path / "Covers80" / "real", cache=tmp_path / "cache", packages=())


def test_cli_adds_positives_to_a_built_corpus(corpus: Path) -> None:
    from coverscope.cli import main

    built = (corpus / "tracks.jsonl").read_bytes()
    args = ["dataset", "debian-full", "--out", str(corpus), "--positives", "1", "--workers", "1"]
    assert main(args) == 0
    assert (corpus / "tracks.jsonl").read_bytes() == built  # the corpus is not rebuilt
    assert len((corpus / "positives" / "positives.jsonl").read_text().splitlines()) == 1
