"""The verdict's calibration: the shipped scorer, with the threshold an operator may have set.

The operator's threshold is stored on the check's scale: a fused distance (minus the fused
score, smaller = more alike), the number the check returns as ``threshold``. A pair is a cover
when its ``distance`` (minus its fused score) is at most that threshold.
"""

from __future__ import annotations

import dataclasses

from backend.storage.song_repository import SongRepository
from model.score import ScorerConfig


def current_scorer(*, scorer: ScorerConfig, songs: SongRepository) -> ScorerConfig:
    """``scorer`` with its fused threshold set from a stored one for this scorer version."""
    stored = songs.model_settings()
    if stored.get("model_version") == scorer.version and "threshold" in stored:
        return dataclasses.replace(scorer, threshold=-float(stored["threshold"]))
    return scorer


def set_threshold(*, scorer: ScorerConfig, songs: SongRepository, threshold: float) -> None:
    """Store the operator's threshold (a fused distance, as the check reports it)."""
    songs.set_threshold(scorer.version, threshold)
