"""The verdict's calibration: the model's own, with the threshold an operator may have set."""

from __future__ import annotations

from backend.storage.song_repository import SongRepository
from model.embed import Embedder
from model.verdict import Calibration


def current_calibration(*, embedder: Embedder, songs: SongRepository) -> Calibration:
    """``embedder.calibration``, its threshold replaced by a stored one set for this model."""
    base = embedder.calibration
    stored = songs.model_settings()
    if stored.get("model_version") == embedder.version and "threshold" in stored:
        return Calibration(
            threshold=float(stored["threshold"]), slope=base.slope, midpoint=base.midpoint
        )
    return base
