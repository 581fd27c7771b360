"""Everything the cover scorer keeps of one song, computed once and stored compactly.

HPCP is computed once per song and reused three ways: pooled over 16 frames for Qmax, over
64 frames for a cheap first stage, and raw for the beat-synchronous blocks of early fusion.
Arrays are float16 in memory as on disk, so a stored analysis scores exactly as a fresh one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.blocks import BlockLevel, block_levels
from model.constants import HOP_SIZE, SAMPLE_RATE
from model.errors import InvalidInput
from model.hpcp import block_mean, cnn_features, hpcp

if TYPE_CHECKING:
    from model.embed import Embedder

ANALYSIS_VERSION = "1"
QMAX_POOL = 16
"""HPCP frames averaged per Qmax frame (~2.7 fps)."""
COARSE_POOL = 64
"""HPCP frames averaged per first-stage frame (~0.67 fps)."""
MAX_SECONDS = 480.0
"""Cost cap: only a song's first 8 minutes are analysed. Pair costs grow with the product of
the lengths (Qmax and early fusion are quadratic); 8 minutes keep a pair of the longest songs
within ~4x the cost of two 4-minute songs, and covers rarely need more to be recognised."""
_LEVEL_FIELDS = ("beats", "hpcp", "mfcc", "ssm")


@dataclass(frozen=True)
class SongAnalysis:
    """The per-song artefacts of the scorer.

    ``duration`` is the song's full length in seconds, ``analysed_seconds`` the part analysed
    (see ``MAX_SECONDS``). ``chroma`` (12, n) float16 HPCP pooled over ``QMAX_POOL`` frames,
    ``coarse`` (12, m) over ``COARSE_POOL``; ``levels`` the beat-synchronous blocks per tempo
    level (``model.blocks``); ``embedding`` (dim,) float32 when an embedder was given.
    """

    duration: float
    analysed_seconds: float
    chroma: np.ndarray
    coarse: np.ndarray
    levels: list[BlockLevel]
    embedding: np.ndarray | None = None
    embedding_version: str = ""

    def to_bytes(self) -> bytes:
        """An npz archive (no pickled objects) with an ``analysis_version`` key."""
        arrays: dict[str, np.ndarray] = {
            "analysis_version": np.array(ANALYSIS_VERSION),
            "duration": np.array(self.duration, dtype=np.float64),
            "analysed_seconds": np.array(self.analysed_seconds, dtype=np.float64),
            "chroma": self.chroma,
            "coarse": self.coarse,
            "levels": np.array(len(self.levels)),
            "embedding_version": np.array(self.embedding_version),
        }
        if self.embedding is not None:
            arrays["embedding"] = self.embedding
        for i, level in enumerate(self.levels):
            arrays[f"level{i}_tempo"] = np.array(level.tempo, dtype=np.float64)
            for name in _LEVEL_FIELDS:
                arrays[f"level{i}_{name}"] = getattr(level, name)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, raw: bytes) -> SongAnalysis:
        """Read ``to_bytes`` back; ``InvalidInput`` for another version or a corrupt archive."""
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                version = str(z["analysis_version"])
                if version != ANALYSIS_VERSION:
                    raise InvalidInput(
                        f"song analysis version {version}; this code reads {ANALYSIS_VERSION}"
                    )
                levels = [
                    BlockLevel(
                        tempo=float(z[f"level{i}_tempo"]),
                        **{name: z[f"level{i}_{name}"] for name in _LEVEL_FIELDS},
                    )
                    for i in range(int(z["levels"]))
                ]
                return cls(
                    duration=float(z["duration"]),
                    analysed_seconds=float(z["analysed_seconds"]),
                    chroma=z["chroma"],
                    coarse=z["coarse"],
                    levels=levels,
                    embedding=z["embedding"] if "embedding" in z.files else None,
                    embedding_version=str(z["embedding_version"]),
                )
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidInput(f"not a song analysis: {exc}") from exc


def analyse(
    y: np.ndarray,
    *,
    sr: int = SAMPLE_RATE,
    embedder: Embedder | None = None,
    max_seconds: float = MAX_SECONDS,
) -> SongAnalysis:
    """Analyse a decoded mono signal ``y`` (n_samples,) at ``sr`` (see ``SongAnalysis``).

    Only the first ``max_seconds`` are analysed. The caller decodes (``model.audio.decode``).
    """
    raw = hpcp(y[: int(max_seconds * sr)], sr=sr)
    embedding = None if embedder is None else embedder.embed(cnn_features(raw))
    return analyse_with_hpcp(
        y,
        raw,
        sr=sr,
        embedding=embedding,
        embedding_version="" if embedder is None else embedder.version,
        max_seconds=max_seconds,
    )


def analyse_with_hpcp(
    y: np.ndarray,
    raw: np.ndarray,
    *,
    sr: int = SAMPLE_RATE,
    embedding: np.ndarray | None = None,
    embedding_version: str = "",
    max_seconds: float = MAX_SECONDS,
) -> SongAnalysis:
    """``analyse`` for a caller that already holds the signal's raw HPCP (so it is computed once).

    ``y`` (n_samples,) mono at ``sr``; ``raw`` (12, n_frames) its ``model.hpcp.hpcp``, of the
    whole signal or of its first ``max_seconds``; ``embedding`` (dim,) computed by the caller
    with the model ``embedding_version`` (or ``None``). HPCP frames starting after
    ``max_seconds`` are dropped, so a song no longer than the cap analyses exactly as with
    ``analyse``.
    """
    duration = float(y.shape[0]) / sr
    limit = int(max_seconds * sr)
    y = y[:limit]
    raw = raw[:, : -(-limit // HOP_SIZE)]
    levels = block_levels(y, sr=sr, chroma=raw)
    return SongAnalysis(
        duration=duration,
        analysed_seconds=float(y.shape[0]) / sr,
        chroma=block_mean(raw, QMAX_POOL).astype(np.float16),
        coarse=block_mean(raw, COARSE_POOL).astype(np.float16),
        levels=levels,
        embedding=None if embedding is None else embedding.astype(np.float32),
        embedding_version=embedding_version if embedding is not None else "",
    )
