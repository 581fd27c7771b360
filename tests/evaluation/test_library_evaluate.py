"""`coverscope evaluate covers80 --method library` on a tiny collection: the simulated ingest
gives what the product code computes without caches, distractors join the library, and the
first stage's size is respected."""

import json
from pathlib import Path

import numpy as np
import pytest

from coverscope.cli import main
from model.audio import encode
from model.embed import Embedder
from model.first_stage import candidates, embedding_distances
from model.library import LibraryGraph, rank_library, score_candidates
from model.score import ScorerConfig
from tests.evaluation.test_evaluate import collection  # noqa: F401 (fixture)
from tests.renditions import song
from training.evaluation.cache import analysis_folder, cached_analyses
from training.evaluation.covers80 import load_tracks
from training.metrics import retrieval_scores


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("library-cache")


@pytest.fixture(scope="module")
def real_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 'real' recordings that are no version of any work of the collection."""
    root = tmp_path_factory.mktemp("real")
    (root / "audio").mkdir()
    rows = []
    for k, progression in enumerate([[(1, 4, 8), (6, 9, 13)], [(4, 7, 11), (9, 13, 16)]]):
        encode(song(progression, melody_seed=20 + k, seconds=30.0), root / "audio" / f"r{k}.mp3")
        rows.append({"track_id": f"pkg:r{k}", "path": f"audio/r{k}.mp3", "group": None})
    (root / "tracks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root / "tracks.jsonl"


def evaluate(data: Path, cache: Path, out: Path, *extra: str) -> dict:
    args = ["evaluate", "covers80", "--method", "library", "--data", str(data)]
    args += ["--cache", str(cache), "--json", str(out), "--workers", "2", *extra]
    assert main(args) == 0
    return json.loads(out.read_text())


def test_the_simulated_library_ranks_as_the_product_code_does(
    collection: Path,  # noqa: F811
    cache: Path,
    tmp_path: Path,
) -> None:
    result = evaluate(collection, cache, tmp_path / "library.json")
    assert result["tracks"] == 10 and result["distractors"] == 0
    assert result["MAP"] >= 0.6  # chance is ~0.31 here
    assert result["cover_groups"]["largest"] <= 2
    assert set(result["first_stage"]) >= {
        "embedding",
        "shipped",
        "shortlist_coarse_only",
        "graph_recall",
    }

    # The same library built with no cache at all: first stage, fused scores, ranking.
    config = ScorerConfig.load()
    embedder = Embedder.load()
    tracks = load_tracks(collection)
    folder = analysis_folder(cache / "covers80", embedder_version=embedder.version, tag="orig")
    songs = cached_analyses([(t.track_id, t.path) for t in tracks], folder, workers=1)
    ids = [t.track_id for t in tracks]
    graph = LibraryGraph()
    order = [int(i) for i in np.random.default_rng(0).permutation(len(ids))]
    for p, i in enumerate(order):
        earlier = [songs[j] for j in order[:p]]
        chosen = candidates(
            songs[i], earlier, embedding_distances=embedding_distances(songs[i], earlier)
        )
        others = [(ids[order[int(c)]], songs[order[int(c)]]) for c in chosen]
        graph.add(ids[i], score_candidates(songs[i], others, config=config))
    ranks = np.full((len(ids), len(ids)), np.inf)
    for q in range(len(ids)):
        by_embedding = np.argsort(embedding_distances(songs[q], songs), kind="stable")
        ranking = rank_library(
            ids[q], graph, config=config, first_stage=[ids[int(j)] for j in by_embedding]
        )
        ranks[q, [ids.index(s) for s in ranking]] = np.arange(len(ranking))
    labels = np.array([t.work_id for t in tracks])
    assert retrieval_scores(ranks, labels).map == pytest.approx(result["MAP"], abs=1e-9)


def test_a_small_first_stage_scores_only_its_candidates(
    collection: Path,  # noqa: F811
    cache: Path,
    tmp_path: Path,
) -> None:
    result = evaluate(
        collection, cache, tmp_path / "small.json", "--shortlist", "3", "--candidates", "2"
    )
    assert result["shortlist"] == 3 and result["candidates"] == 2
    assert result["timings"]["pairs_scored"] <= 2 * 10
    assert 0.0 <= result["first_stage"]["graph_recall"] <= 1.0
    assert result["first_stage"]["shipped"]["recall@10"] <= 1.0


def test_distractors_join_the_library_but_no_cover_group(
    collection: Path,  # noqa: F811
    cache: Path,
    real_manifest: Path,
    tmp_path: Path,
) -> None:
    extra = ["--distractors", "2", "--real-manifest", str(real_manifest)]
    result = evaluate(collection, cache, tmp_path / "distractors.json", *extra)
    assert result["library_songs"] == 12 and result["distractors"] == 2
    assert result["cover_groups"]["with_distractors"] == 0
    assert result["MAP"] >= 0.6
    with pytest.raises(SystemExit):
        evaluate(
            collection,
            cache,
            tmp_path / "too-many.json",
            "--distractors",
            "3",
            "--real-manifest",
            str(real_manifest),
        )


def test_options_that_do_not_apply_to_the_library_are_refused(
    collection: Path,  # noqa: F811
    cache: Path,
    tmp_path: Path,
) -> None:
    for extra in (["--pitch-shift", "2"], ["--queries", "4"], ["--diffuse"]):
        with pytest.raises(SystemExit):
            evaluate(collection, cache, tmp_path / "refused.json", *extra)
