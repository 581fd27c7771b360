"""A tiny augmented set builds end to end; splits and version ids are deterministic."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from datasets import build as build_module
from datasets import debian_music
from datasets.build import build
from datasets.builder import Builder, split_of
from datasets.debian_music import VERSIONS, Recording, build_work
from datasets.manifest import Covers80Refused, read_manifest


@pytest.fixture(autouse=True)
def short_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tracks of 16 s, windows of 8-12 s: the same code path, a tenth of the work."""
    monkeypatch.setattr(debian_music, "MIN_TRACK_SECONDS", 10.0)
    monkeypatch.setattr(debian_music, "WINDOW_SECONDS", (8.0, 12.0))


def tiny_builder(recordings: list[Path]) -> Builder:
    works = [Recording(f"test:{p.stem}", "singularity-music", str(p)) for p in recordings]
    return Builder(
        name="tiny",
        description="two generated chords",
        list_works=lambda seed: works,
        build_work=build_work,
        work_id=lambda w: w.work_id,
    )


def test_tiny_augmented_set_builds(
    tmp_path: Path, recordings: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "_registry", lambda: {"tiny": tiny_builder(recordings)})
    out = tmp_path / "set"
    entries = build("tiny", out, seed=3, workers=1)
    assert len(entries) == 2 * VERSIONS
    assert read_manifest(out / "manifest.jsonl") == entries
    for e in entries:
        chroma = np.load(out / e.feature_path, allow_pickle=False)
        assert chroma.dtype == np.float32 and chroma.shape[0] == 12
        assert chroma.shape[1] == pytest.approx(e.duration * 22050 / 512, abs=3)
        assert e.split == split_of(e.work_id, 3)
    assert len({e.feature_path for e in entries}) == len(entries)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["works"] == 2 and stats["versions"] == 2 * VERSIONS
    # The untransformed window of the A-major track still peaks on A, E or C#.
    a0 = next(e for e in entries if e.version_id == "test:a#v0")
    assert int(np.argmax(np.load(out / a0.feature_path).mean(axis=1))) in {0, 4, 7}

    # A rebuild reuses the features and writes the same manifest.
    again = build("tiny", out, seed=3, workers=1)
    assert [e.feature_path for e in again] == [e.feature_path for e in entries]


def test_output_inside_the_test_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Covers80Refused):
        build("music21", tmp_path / "covers80" / "train", limit=1)


def test_cli_arguments_reach_the_builder(
    tmp_path: Path, recordings: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_module, "_registry", lambda: {"tiny": tiny_builder(recordings[:1])})
    args = argparse.Namespace(name="tiny", out=tmp_path / "o", limit=1, seed=0, workers=1)
    assert build_module.main(args) == 0
    assert len(read_manifest(tmp_path / "o" / "manifest.jsonl")) == VERSIONS


def test_split_is_about_a_tenth() -> None:
    val = sum(split_of(f"w{i}", 0) == "val" for i in range(2000))
    assert 140 < val < 260


def test_interrupt_writes_the_finished_works(
    tmp_path: Path, recordings: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = tiny_builder(recordings)
    calls: list[str] = []

    def stop_on_second(job: build_module.Job) -> list:
        calls.append(job.work.work_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return build_work(job)

    interrupted = replace(tiny, build_work=stop_on_second)
    monkeypatch.setattr(build_module, "_registry", lambda: {"tiny": interrupted})
    entries = build("tiny", tmp_path / "set", workers=1)
    assert {e.work_id for e in entries} == {calls[0]}
    assert read_manifest(tmp_path / "set" / "manifest.jsonl") == entries
