"""The first stage: a coarse Qmax that finds a rendition among strangers, within an embedding
shortlist."""

import math

import numpy as np
import pytest

from model.analysis import COARSE_POOL, QMAX_POOL, SongAnalysis
from model.errors import InvalidInput
from model.first_stage import (
    candidates,
    coarse_distance,
    coarse_distances,
    embedding_distances,
    shortlist_key,
)
from model.hpcp import block_mean, hpcp
from model.qmax import qmax
from tests.renditions import BRIGHT, PROGRESSION_A, PROGRESSION_B, song

BM_E_A_D = [(2, 5, 9), (7, 10, 14), (0, 4, 7), (5, 9, 12)]
AM_F_C_G = [(0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17)]
# Eight-chord tunes (16 s before they repeat): a 1.5 s coarse frame needs more than a 4-chord
# loop to tell tunes that share their chords apart.
TUNES = {
    "a": PROGRESSION_A + PROGRESSION_B[:2] + BM_E_A_D[1:3],
    "b": PROGRESSION_B + AM_F_C_G,
    "c": BM_E_A_D + PROGRESSION_A[::-1],
    "d": AM_F_C_G + PROGRESSION_A,
}


def chroma_only(y: np.ndarray, embedding: list[float] | None = None) -> SongAnalysis:
    """The part of an analysis the first stage reads (no beat blocks: they cost seconds)."""
    raw = hpcp(y)
    return SongAnalysis(
        duration=y.shape[0] / 22050,
        analysed_seconds=y.shape[0] / 22050,
        chroma=block_mean(raw, QMAX_POOL).astype(np.float16),
        coarse=block_mean(raw, COARSE_POOL).astype(np.float16),
        levels=[],
        embedding=None if embedding is None else np.array(embedding, dtype=np.float32),
        embedding_version="test" if embedding is not None else "",
    )


@pytest.fixture(scope="module")
def library() -> dict[str, SongAnalysis]:
    """An original, a rendition of it (4 semitones down, 10 % slower, brighter, another
    performance) and three strangers, 60 s each."""
    signals = {
        "a": song(TUNES["a"], melody_seed=1, seconds=60.0),
        "a_cover": song(
            TUNES["a"],
            melody_seed=1,
            seconds=60.0,
            transpose=-4,
            tempo=0.9,
            harmonics=BRIGHT,
            decay=0.6,
            seed=5,
        ),
        "b": song(TUNES["b"], melody_seed=2, seconds=60.0),
        "c": song(TUNES["c"], melody_seed=3, seconds=60.0),
        "d": song(TUNES["d"], melody_seed=4, seconds=60.0),
    }
    return {k: chroma_only(y) for k, y in signals.items()}


def test_the_coarse_stage_finds_the_rendition_first(library: dict[str, SongAnalysis]) -> None:
    others = ["a", "b", "c", "d"]
    order = candidates(library["a_cover"], [library[k] for k in others], count=2)
    assert others[int(order[0])] == "a"
    assert len(order) == 2


def test_coarse_distances_are_the_log_qmax_z_scored_over_the_others(
    library: dict[str, SongAnalysis],
) -> None:
    others = [library[k] for k in ("a", "b", "c", "d")]
    query = library["a_cover"]
    raw = np.array(
        [
            math.log(qmax(query.coarse.astype(np.float32), o.coarse.astype(np.float32)).distance)
            for o in others
        ]
    )
    z = coarse_distances(query, others)
    np.testing.assert_allclose(z, (raw - raw.mean()) / raw.std(), rtol=1e-9, atol=1e-12)
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1.0) < 1e-9


def test_the_coarse_distance_is_symmetric(library: dict[str, SongAnalysis]) -> None:
    forward = coarse_distance(library["a"], library["a_cover"])
    backward = coarse_distance(library["a_cover"], library["a"])
    assert forward == pytest.approx(backward, rel=1e-6)


def test_only_the_embedding_shortlist_is_re_ordered(library: dict[str, SongAnalysis]) -> None:
    """With the original outside the shortlist it cannot be a candidate, however close its
    chroma; inside it, at the same embedding distance as the strangers, it comes first."""
    others = [library[k] for k in ("a", "b", "c", "d")]
    far = np.array([1.9, 0.1, 0.2, 0.3])
    kept = candidates(library["a_cover"], others, embedding_distances=far, shortlist=3)
    assert sorted(kept.tolist()) == [1, 2, 3]
    level = np.full(4, 0.5)
    found = candidates(library["a_cover"], others, embedding_distances=level, count=1)
    assert found.tolist() == [0]


def test_the_shortlist_is_ordered_by_the_sum_of_z_scores(library: dict[str, SongAnalysis]) -> None:
    """Oracle: z-scores of the coarse distances and of the embedding distances over the
    shortlist, added, sorted."""
    others = [library[k] for k in ("a", "b", "c", "d")]
    query = library["a_cover"]
    embedding = np.array([0.9, 0.2, 0.6, 1.3])
    coarse = np.array([coarse_distance(query, o) for o in others])

    def z(x: np.ndarray) -> np.ndarray:
        return (x - x.mean()) / x.std()

    expected = np.argsort(z(coarse) + z(embedding), kind="stable")[:3]
    got = candidates(query, others, embedding_distances=embedding, count=3)
    assert got.tolist() == expected.tolist()
    np.testing.assert_allclose(shortlist_key(coarse, embedding), z(coarse) + z(embedding))
    np.testing.assert_allclose(shortlist_key(coarse, None), z(coarse))


def test_an_empty_library_has_no_candidates(library: dict[str, SongAnalysis]) -> None:
    assert candidates(library["a"], []).size == 0
    with pytest.raises(InvalidInput):
        candidates(library["a"], [library["b"]], count=0)


def test_embedding_distances_against_a_loop() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((5, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    y = np.zeros(22050 * 30, dtype=np.float32)
    songs = [chroma_only(y, v.tolist()) for v in vectors]
    got = embedding_distances(songs[0], songs[1:])
    expected = [float(np.linalg.norm(vectors[0] - v)) for v in vectors[1:]]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(InvalidInput):
        embedding_distances(songs[0], [chroma_only(y)])
