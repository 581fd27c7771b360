"""What the vector index reads (``Library``) and what it serves (``Snapshot``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from backend.search.ann import AnnIndex
from backend.storage.documents import Song
from model.verdict import Calibration


class Library(Protocol):
    """What the index reads from the library (``SongRepository`` in the app)."""

    def version(self) -> int: ...

    def catalog(self, model_version: str) -> Iterator[tuple[Song, np.ndarray | None]]: ...


@dataclass(frozen=True)
class Snapshot:
    version: int
    model_version: str
    matrix: np.ndarray
    songs: list[Song]
    calibration: Calibration
    positions: dict[str, int] = field(default_factory=dict)
    ann: AnnIndex | None = None
    """The approximate index for large libraries, else ``None`` (exact search)."""
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """``ann`` label -> row of ``matrix`` (-1: not in this snapshot)."""
    catalog: list[Song] = field(default_factory=list)
    """Every song of the library (any model version), for listing and search."""
    orders: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """Catalog positions sorted by (field, order), computed on first use."""
