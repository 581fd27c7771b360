"""Resumable caches of an evaluation: one analysis per song, pair components in chunks.

Song analyses are ``SongAnalysis.to_bytes`` files. Pair components are appended as small npz
chunks (``i``, ``j`` and one array per component of a group); a rerun loads every chunk and
computes only the pairs still missing, so an interrupted run resumes where it stopped.
Work runs in forked worker processes with a progress bar.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from model.analysis import ANALYSIS_VERSION, SongAnalysis
from model.score import GROUPS, pair_components

CHUNK = 256
"""Pairs per appended chunk (also the unit of progress that survives an interruption)."""

Pair = tuple[int, int]


def imap(fn: Callable[[Any], Any], jobs: list[Any], *, workers: int, desc: str) -> Iterator[Any]:
    """``fn(j) for j in jobs`` lazily and in order over ``workers`` forked processes, with a bar."""
    bar = tqdm(total=len(jobs), desc=desc, unit="item")
    try:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield fn(job)
                bar.update()
            return
        with get_context("fork").Pool(workers) as pool:
            for value in pool.imap(fn, jobs, chunksize=4):
                yield value
                bar.update()
    finally:
        bar.close()


@dataclass(frozen=True)
class AnalysisJob:
    source: str
    target: str
    pitch_shift: int
    time_stretch: float
    model: str | None


_EMBEDDERS: dict[str | None, Any] = {}


def _analyse(job: AnalysisJob) -> str:
    """Worker: decode (and transform) one file, analyse it, write the analysis bytes."""
    import torch

    from model.analysis import analyse
    from model.audio import decode
    from model.embed import Embedder

    torch.set_num_threads(1)
    if job.model not in _EMBEDDERS:
        _EMBEDDERS[job.model] = Embedder.load(job.model)
    y = decode(job.source)
    if job.pitch_shift or job.time_stretch != 1.0:
        from pedalboard import time_stretch

        y = time_stretch(
            y[None],
            22050.0,
            stretch_factor=job.time_stretch,
            pitch_shift_in_semitones=float(job.pitch_shift),
            high_quality=False,
        )[0]
    raw = analyse(y, embedder=_EMBEDDERS[job.model]).to_bytes()
    tmp = Path(f"{job.target}.{os.getpid()}.tmp")
    tmp.write_bytes(raw)
    tmp.replace(job.target)
    return job.target


def analysis_folder(cache: Path, *, embedder_version: str, tag: str) -> Path:
    """Where analyses of one analysis version, embedding model and query variant live."""
    return cache / f"analysis-v{ANALYSIS_VERSION}-{embedder_version}" / tag


def cached_analyses(
    sources: list[tuple[str, Path]],
    folder: Path,
    *,
    pitch_shift: int = 0,
    time_stretch: float = 1.0,
    model: str | None = None,
    workers: int,
) -> list[SongAnalysis]:
    """The analysis of every (track id, audio path), computed once into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / f"{track_id}.npz" for track_id, _ in sources]
    todo = [
        AnalysisJob(str(path), str(target), pitch_shift, time_stretch, model)
        for (_, path), target in zip(sources, targets, strict=True)
        if not target.exists()
    ]
    if todo:
        for _ in imap(_analyse, todo, workers=workers, desc=f"analyse {folder.name}"):
            pass
    return [SongAnalysis.from_bytes(t.read_bytes()) for t in targets]


class PairCache:
    """Append-only chunks of pair components keyed by track ids, one folder per group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, group: str) -> dict[tuple[str, str], dict[str, float]]:
        """Every cached pair of ``group``: (id of A, id of B) -> its components."""
        done: dict[tuple[str, str], dict[str, float]] = {}
        for chunk in sorted((self.folder / group).glob("chunk-*.npz")):
            with np.load(chunk, allow_pickle=False) as z:
                names = [n for n in z.files if n not in {"i", "j"}]
                columns = {n: z[n].tolist() for n in names}
                keys = zip(z["i"].tolist(), z["j"].tolist(), strict=True)
                for row, (a, b) in enumerate(keys):
                    done[(str(a), str(b))] = {n: float(columns[n][row]) for n in names}
        return done

    def append(
        self, group: str, pairs: list[tuple[str, str]], values: list[dict[str, float]]
    ) -> None:
        folder = self.folder / group
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {
            "i": np.array([p[0] for p in pairs], dtype=np.str_),
            "j": np.array([p[1] for p in pairs], dtype=np.str_),
        }
        # A scorer group's components, or the one value of another pair measure (``coarse``).
        names = GROUPS.get(group) or tuple(sorted({n for v in values for n in v}))
        for name in names:
            arrays[name] = np.array([v[name] for v in values], dtype=np.float64)
        target = folder / f"chunk-{time.time_ns()}-{os.getpid()}.npz"
        tmp = target.with_suffix(".tmp")
        with tmp.open("wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
        tmp.replace(target)


_PAIR_STATE: dict[str, Any] = {}


def _pair(job: tuple[int, int, str]) -> dict[str, float]:
    i, j, group = job
    queries, refs = _PAIR_STATE["queries"], _PAIR_STATE["refs"]
    return pair_components(queries[i], refs[j], groups=[group]).values


def pair_values(
    queries: dict[int, SongAnalysis],
    refs: dict[int, SongAnalysis],
    pairs: Iterable[Pair],
    *,
    groups: Iterable[str],
    ids: list[str],
    cache: PairCache,
    workers: int,
) -> tuple[dict[Pair, dict[str, float]], dict[str, float]]:
    """Raw components of ``groups`` for each (query, reference) pair of indices (track ids in
    ``ids``), from ``cache`` or computed with the query as song A. Returns the values and the
    seconds spent computing (and pairs computed) per group."""
    pairs = list(pairs)
    out: dict[Pair, dict[str, float]] = {p: {} for p in pairs}
    spent: dict[str, float] = {}
    _PAIR_STATE.update(queries=queries, refs=refs)
    try:
        for group in groups:
            done = cache.load(group)
            todo = [p for p in pairs if (ids[p[0]], ids[p[1]]) not in done]
            t0 = time.perf_counter()
            jobs = [(i, j, group) for i, j in todo]
            batch: list[tuple[tuple[str, str], dict[str, float]]] = []
            for (i, j), values in zip(
                todo, imap(_pair, jobs, workers=workers, desc=group), strict=True
            ):
                batch.append(((ids[i], ids[j]), values))
                if len(batch) == CHUNK:
                    _flush(cache, group, batch, done)
            _flush(cache, group, batch, done)
            spent[group] = time.perf_counter() - t0
            spent[f"{group}_pairs_computed"] = float(len(todo))
            for i, j in pairs:
                out[(i, j)].update(done[(ids[i], ids[j])])
    finally:
        _PAIR_STATE.clear()
    return out, spent


def _flush(
    cache: PairCache,
    group: str,
    batch: list[tuple[tuple[str, str], dict[str, float]]],
    done: dict[tuple[str, str], dict[str, float]],
) -> None:
    """Append ``batch`` to the cache (then to ``done``) and empty it."""
    if batch:
        cache.append(group, [p for p, _ in batch], [v for _, v in batch])
        done.update(batch)
        batch.clear()
