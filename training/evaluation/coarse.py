"""Coarse Qmax distances of many song pairs for an evaluation: computed in parallel, cached.

The value is ``model.first_stage.coarse_distance`` (symmetric), so each unordered pair is
computed once and cached under its ids in sorted order (``PairCache`` group ``coarse``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from model.analysis import SongAnalysis
from model.first_stage import coarse_distance
from training.evaluation.cache import CHUNK, PairCache, imap

GROUP = "coarse"
_STATE: dict[str, Any] = {}


def _coarse(pair: tuple[str, str]) -> float:
    songs = _STATE["songs"]
    return coarse_distance(songs[pair[0]], songs[pair[1]])


def key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


class CoarseDistances:
    """Coarse distances between songs by id, from a cache folder or computed on demand."""

    def __init__(self, songs: dict[str, SongAnalysis], cache: PairCache, *, workers: int) -> None:
        self.songs = songs
        self.cache = cache
        self.workers = workers
        self.values = {p: v["coarse"] for p, v in cache.load(GROUP).items()}
        self.computed = 0
        self.seconds = 0.0

    def ensure(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Compute (in parallel) and cache every pair not known yet."""
        todo = sorted({key(a, b) for a, b in pairs} - self.values.keys())
        if not todo:
            return
        t0 = time.perf_counter()
        _STATE["songs"] = self.songs
        try:
            batch: list[tuple[tuple[str, str], float]] = []
            for pair, value in zip(
                todo, imap(_coarse, todo, workers=self.workers, desc=GROUP), strict=True
            ):
                batch.append((pair, value))
                if len(batch) == CHUNK:
                    self._flush(batch)
            self._flush(batch)
        finally:
            _STATE.clear()
        self.seconds += time.perf_counter() - t0
        self.computed += len(todo)

    def _flush(self, batch: list[tuple[tuple[str, str], float]]) -> None:
        if batch:
            self.cache.append(GROUP, [p for p, _ in batch], [{"coarse": v} for _, v in batch])
            self.values.update(batch)
            batch.clear()

    def get(self, a: str, b: str) -> float:
        """The coarse distance of songs ``a`` and ``b`` (``ensure`` it first for speed)."""
        pair = key(a, b)
        if pair not in self.values:
            self.ensure([pair])
        return self.values[pair]
