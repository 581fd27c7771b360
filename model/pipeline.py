"""One song through the whole pipeline: file -> signal -> HPCP -> CNN features -> embedding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.audio import decode
from model.embed import Embedder
from model.hpcp import cnn_features, hpcp

Progress = Callable[[str, float], None]
"""Called with (stage, fraction done) as work advances."""


@dataclass
class Analysis:
    """What Coverscope keeps of a song: raw HPCP (12, n) and its embedding (dim,)."""

    chroma: np.ndarray
    embedding: np.ndarray


def analyse_signal(
    y: np.ndarray, embedder: Embedder, *, progress: Progress | None = None
) -> Analysis:
    """HPCP and embedding of a decoded mono signal at the pipeline's sample rate."""
    if progress:
        progress("extracting", 0.0)
    chroma = hpcp(y)
    if progress:
        progress("embedding", 0.0)
    embedding = embedder.embed(cnn_features(chroma))
    return Analysis(chroma=chroma, embedding=embedding)


def analyse_file(
    path: str | Path,
    embedder: Embedder,
    *,
    max_seconds: float | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Decode ``path`` and analyse it; raises ``UndecodableAudio`` for anything but audio."""
    if progress:
        progress("decoding", 0.0)
    return analyse_signal(decode(path, max_seconds=max_seconds), embedder, progress=progress)


def reembed(chroma: np.ndarray, embedder: Embedder) -> np.ndarray:
    """A stored song's embedding under another model, from its HPCP (no re-download)."""
    return embedder.embed(cnn_features(chroma))
