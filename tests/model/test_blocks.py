"""Beat-synchronous blocks: shapes, storage type, a key change rolls the harmony, short clips."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.blocks import (
    BLOCK_BEATS,
    BLOCK_WINDOWS,
    HPCP_DIM,
    MFCC_COEFFS,
    MFCC_DIM,
    SSM_DIM,
    block_levels,
    block_starts,
)
from model.constants import N_BINS, SAMPLE_RATE
from model.hpcp import hpcp


def test_block_shapes_and_float16(make_tune: Callable[..., np.ndarray]) -> None:
    y = make_tune(seconds=30.0)
    levels = block_levels(y, chroma=hpcp(y))
    assert levels
    for level in levels:
        n = level.n_blocks
        assert n > 0
        assert level.hpcp.shape == (n, HPCP_DIM) and level.hpcp.dtype == np.float16
        assert level.mfcc.shape == (n, MFCC_DIM) and level.mfcc.dtype == np.float16
        assert level.ssm.shape == (n, SSM_DIM) and level.ssm.dtype == np.float16
        assert level.beats.shape == (n,) and np.all(np.diff(level.beats) > 0)
        np.testing.assert_allclose(
            np.linalg.norm(level.hpcp.astype(np.float32), axis=1), 1, atol=1e-2
        )
        windows = level.mfcc.astype(np.float32).reshape(n, BLOCK_WINDOWS, MFCC_COEFFS)
        np.testing.assert_allclose(windows.mean(axis=1), 0, atol=1e-2)
        assert np.all(np.isfinite(level.ssm.astype(np.float32))) and np.all(level.ssm >= 0)
    # The tune has a note every 0.5 s: one level sits at 120 bpm.
    assert min(abs(level.tempo - 120.0) for level in levels) < 6.0


def test_transposition_rolls_the_harmony_blocks(make_tune: Callable[..., np.ndarray]) -> None:
    y, up = make_tune(seconds=30.0), make_tune(3, seconds=30.0)
    level, level_up = block_levels(y)[0], block_levels(up)[0]
    n = min(level.n_blocks, level_up.n_blocks)
    chroma = level.hpcp[:n].astype(np.float32).reshape(n, -1, N_BINS).mean(axis=(0, 1))
    chroma_up = level_up.hpcp[:n].astype(np.float32).reshape(n, -1, N_BINS).mean(axis=(0, 1))
    scores = [np.roll(chroma, s) @ chroma_up for s in range(N_BINS)]
    assert int(np.argmax(scores)) == 3


def test_clip_shorter_than_a_block_gives_empty_levels(make_tune: Callable[..., np.ndarray]) -> None:
    y = make_tune(seconds=6.0)  # 12 notes: fewer than 20 beats at any level
    levels = block_levels(y)
    assert levels
    for level in levels:
        assert level.n_blocks == 0
        assert level.hpcp.shape == (0, HPCP_DIM) and level.ssm.shape == (0, SSM_DIM)
    assert block_levels(np.zeros(SAMPLE_RATE, dtype=np.float32)) == []


def test_long_songs_are_capped_evenly() -> None:
    starts = block_starts(2000 + BLOCK_BEATS, max_blocks=600)
    assert len(starts) == 600 and starts[0] == 0 and starts[-1] == 1999
    assert np.ptp(np.diff(starts)) <= 1
    assert len(block_starts(BLOCK_BEATS)) == 0 and len(block_starts(BLOCK_BEATS + 1)) == 1
