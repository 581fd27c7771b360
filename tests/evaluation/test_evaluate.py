"""`coverscope evaluate` on a tiny synthetic collection: ranking quality, resuming, and the same
score as `coverscope check` for one pair."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from coverscope.cli import main
from model.audio import encode
from model.embed import Embedder
from model.score import ScorerConfig, fuse, groups_for
from tests.renditions import BRIGHT, PROGRESSION_A, PROGRESSION_B, song
from training.evaluation.cache import PairCache, analysis_folder, cached_analyses, pair_values

WORKS = {
    "w1": (PROGRESSION_A, 1),
    "w2": (PROGRESSION_B, 2),
    "w3": ([(2, 5, 9), (7, 10, 14), (0, 4, 7), (5, 9, 12)], 3),  # Bm E A D
    "w4": ([(0, 4, 7), (0, 4, 7), (5, 9, 12), (7, 11, 14)], 4),  # A A D E
    "w5": ([(0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17)], 5),  # Am F C G
}


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five works, each as an original and a rendition that starts two chords later, in
    another key, 15 % slower and with another timbre. Every tune is a loop of four triads."""
    root = tmp_path_factory.mktemp("collection")
    rows = []
    for work, (progression, melody) in WORKS.items():
        original = song(progression, melody_seed=melody, seconds=30.0)
        cover = song(
            progression[2:] + progression[:2],
            melody_seed=melody,
            seconds=30.0,
            transpose=(5 * melody) % 12 - 5,
            tempo=0.85,
            harmonics=BRIGHT,
            decay=0.5,
            seed=7,
        )
        for tag, y in (("orig", original), ("cover", cover)):
            encode(y, root / f"{work}-{tag}.mp3")
            rows.append({"work_id": work, "track_id": f"{work}-{tag}", "file": f"{work}-{tag}.mp3"})
    with (root / "covers80.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["work_id", "track_id", "file"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def evaluate(collection: Path, cache: Path, out: Path, *extra: str) -> dict:
    args = ["evaluate", "covers80", "--data", str(collection), "--cache", str(cache)]
    args += ["--json", str(out), "--plots", str(out.parent), "--workers", "2", *extra]
    assert main(args) == 0
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


def test_fusion_ranks_covers_above_a_floor_the_embedding_misses(
    collection: Path, cache: Path, tmp_path: Path
) -> None:
    result = evaluate(collection, cache, tmp_path / "fusion.json")
    assert result["tracks"] == 10 and result["method"] == "fusion"
    # Chance is ~0.31 here; the shipped embedding alone reaches ~0.39.
    assert result["MAP"] >= 0.6
    embedding = evaluate(collection, cache, tmp_path / "embedding.json", "--method", "embedding")
    assert embedding["MAP"] < result["MAP"]
    assert set(result["timings"]) >= {"analysis_s", "pairs_s", "metrics_s", "wall_s"}
    assert set(result["at_threshold"]) == {"threshold", "precision", "recall", "F1"}


def test_a_rerun_resumes_from_the_cache(collection: Path, cache: Path, tmp_path: Path) -> None:
    first = evaluate(collection, cache, tmp_path / "a.json")
    again = evaluate(collection, cache, tmp_path / "b.json")
    assert again["timings"]["qmax_pairs_computed"] == 0
    assert again["MAP"] == first["MAP"]


def test_diffusion_and_subsets_run(collection: Path, cache: Path, tmp_path: Path) -> None:
    diffused = evaluate(collection, cache, tmp_path / "d.json", "--diffuse")
    assert diffused["diffuse"] is True and diffused["MAP"] >= 0.6
    subset = evaluate(collection, cache, tmp_path / "s.json", "--limit-works", "2")
    assert subset["tracks"] == 4 and subset["works"] == 2
    assert subset["timings"]["qmax_pairs_computed"] == 0  # pairs are cached by track ids


def test_cli_check_and_evaluation_give_the_same_score(
    collection: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = collection / "w1-orig.mp3", collection / "w1-cover.mp3"
    assert main(["check", str(a), str(b), "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    config = ScorerConfig.load()
    embedder = Embedder.load()
    folder = analysis_folder(cache / "covers80", embedder_version=embedder.version, tag="orig")
    analyses = cached_analyses([("w1-orig", a), ("w1-cover", b)], folder, workers=1)
    values, _ = pair_values(
        {0: analyses[0]},
        {1: analyses[1]},
        [(0, 1)],
        groups=groups_for(config.components),
        ids=["w1-orig", "w1-cover"],
        cache=PairCache(cache / "check-vs-evaluate"),
        workers=1,
    )
    evaluated = fuse(values[(0, 1)], config=config)
    assert checked["distance"] == round(-evaluated.fused, 4)
    assert checked["is_cover"] == evaluated.is_cover
    assert checked["probability"] == round(evaluated.probability, 4)
    for name, raw in values[(0, 1)].items():
        assert checked["components"][name]["raw"] == round(raw, 4)
    assert np.isfinite(evaluated.fused)
