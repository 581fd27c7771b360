"""Golden regression of the shipped scorer: the committed clip (looped) against a sped-up copy.

The values in ``fixtures/golden_score.json`` come from the shipped artefacts (embedding 1.1.0,
``model/weights/scorer.json``); a change to features, blocks, alignment, fusion or calibration
moves them and must be deliberate (regenerate with ``python tests/model/test_golden_score.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from model.analysis import SongAnalysis, analyse
from model.audio import decode
from model.embed import Embedder
from model.score import ScorerConfig, score_pair

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLDEN = FIXTURES / "golden_score.json"
SEMITONES = 2
REPEATS = 4
"""The 8-s clip played four times: long enough for 20-beat blocks."""


def sped_up(y: np.ndarray, semitones: int) -> np.ndarray:
    """Play ``y`` faster by ``semitones`` (pitch and tempo up, like a tape sped up)."""
    rate = 2.0 ** (semitones / 12.0)
    positions = np.arange(0.0, len(y) - 1, rate)
    return np.interp(positions, np.arange(len(y)), y).astype(np.float32)


def pair() -> tuple[SongAnalysis, SongAnalysis]:
    embedder = Embedder.load()
    y = np.tile(decode(FIXTURES / "clip.mp3"), REPEATS)
    return analyse(y, embedder=embedder), analyse(sped_up(y, SEMITONES), embedder=embedder)


def measured() -> dict[str, object]:
    a, b = pair()
    score = score_pair(a, b, config=ScorerConfig.load())
    return {
        "fused": score.fused,
        "components": score.components,
        "is_cover": score.is_cover,
        "probability": score.probability,
    }


def test_shipped_scorer_gives_the_golden_score_and_verdict() -> None:
    golden = json.loads(GOLDEN.read_text())
    now = measured()
    assert now["is_cover"] == golden["is_cover"]
    assert now["fused"] == pytest.approx(golden["fused"], abs=1e-3)
    assert now["probability"] == pytest.approx(golden["probability"], abs=1e-3)
    components = now["components"]
    assert isinstance(components, dict)
    for name, value in golden["components"].items():
        assert components[name] == pytest.approx(value, abs=1e-3), name


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(measured(), indent=1, sort_keys=True) + "\n")
    sys.exit(0)
