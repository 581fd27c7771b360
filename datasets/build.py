"""``coverscope dataset NAME --out DIR``: build a training set, its manifest and a summary.

Builders are registered by name. A builder lists its works (cheap, deterministic) and makes
every version of one work in a worker process; the driver shuffles works with the seed, applies
``--limit``, fans works out to ``--workers`` processes, and writes ``manifest.jsonl``,
``stats.json`` and ``README.md``. Feature files already on disk are reused, so a bigger build
into the same folder only makes the new works.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from datasets import debian_music, symbolic_build
from datasets.builder import Builder, Job
from datasets.manifest import ManifestEntry, refuse_covers80, write_manifest
from model.errors import CoverscopeError, InvalidInput

log = logging.getLogger(__name__)


def _registry() -> dict[str, Builder]:
    return {b.name: b for b in (symbolic_build.BUILDER, debian_music.BUILDER)}


def _run(builder: Builder, job: Job) -> tuple[str, list[ManifestEntry], str | None]:
    try:
        return builder.work_id(job.work), builder.build_work(job), None
    except (CoverscopeError, ValueError, RuntimeError, OSError, IndexError, KeyError) as exc:
        return builder.work_id(job.work), [], f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # music21 parsers raise their own hierarchy
        return builder.work_id(job.work), [], f"{type(exc).__name__}: {exc}"


_BUILDER: Builder | None = None


def _init_worker(name: str) -> None:
    global _BUILDER  # noqa: PLW0603 - one builder per worker process
    _BUILDER = _registry()[name]
    with contextlib.suppress(OSError):
        os.nice(5)


def _run_in_worker(job: Job) -> tuple[str, list[ManifestEntry], str | None]:
    assert _BUILDER is not None
    return _run(_BUILDER, job)


def build(
    name: str, out: Path, *, limit: int | None = None, seed: int = 0, workers: int = 2
) -> list[ManifestEntry]:
    """Build set ``name`` into ``out``; returns the manifest entries written."""
    registry = _registry()
    if name not in registry:
        raise InvalidInput(f"unknown data set {name!r}; known: {', '.join(sorted(registry))}")
    builder = registry[name]
    refuse_covers80(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    works = builder.list_works(seed)
    if limit is not None:
        works = works[:limit]
    jobs = [Job(work=w, out=out, seed=seed) for w in works]
    log.info("%s: building %d works into %s with %d workers", name, len(jobs), out, workers)
    entries: list[ManifestEntry] = []
    failures: list[str] = []

    def results() -> Iterator[tuple[str, list[ManifestEntry], str | None]]:
        if workers <= 1:
            for job in jobs:
                yield _run(builder, job)
            return
        ctx = get_context("spawn")
        with ctx.Pool(workers, initializer=_init_worker, initargs=(name,)) as pool:
            yield from pool.imap_unordered(_run_in_worker, jobs, chunksize=1)

    try:
        for done, (work_id, made, error) in enumerate(results(), 1):
            if error is not None:
                failures.append(f"{work_id}: {error}")
                log.debug("skipped %s: %s", work_id, error)
            elif len(made) >= 2:
                entries.extend(made)
            if done % 50 == 0 or done == len(jobs):
                n_failed = len(failures)
                log.info(
                    "%d/%d works, %d versions, %d failed", done, len(jobs), len(entries), n_failed
                )
    except KeyboardInterrupt:
        # Ctrl-C (or kill -INT on this process): keep what is finished, write it, stop.
        log.warning("interrupted: writing the %d versions finished so far", len(entries))
    entries.sort(key=lambda e: (e.work_id, e.version_id))
    _write(
        out,
        entries,
        builder=builder,
        seed=seed,
        seconds=time.monotonic() - started,
        failures=failures,
    )
    return entries


def stats(entries: list[ManifestEntry]) -> dict[str, Any]:
    """Works, versions and hours, overall, per source and per split."""

    def summary(sel: list[ManifestEntry]) -> dict[str, Any]:
        return {
            "works": len({e.work_id for e in sel}),
            "versions": len(sel),
            "hours": round(sum(e.duration for e in sel) / 3600, 2),
        }

    sources = sorted({e.source for e in entries})
    return {
        **summary(entries),
        "splits": {s: summary([e for e in entries if e.split == s]) for s in ("train", "val")},
        "sources": {s: summary([e for e in entries if e.source == s]) for s in sources},
        "versions_per_work": dict(
            sorted(Counter(Counter(e.work_id for e in entries).values()).items())
        ),
    }


def _write(
    out: Path,
    entries: list[ManifestEntry],
    *,
    builder: Builder,
    seed: int,
    seconds: float,
    failures: list[str],
) -> None:
    write_manifest(out / "manifest.jsonl", entries)
    summary: dict[str, Any] = {
        "name": builder.name,
        "seed": seed,
        "build_seconds": round(seconds, 1),
    }
    summary |= stats(entries)
    summary["failed_works"] = len(failures)
    (out / "stats.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "failures.txt").write_text("\n".join(failures) + ("\n" if failures else ""))
    lines = [
        f"# Training set `{builder.name}`",
        "",
        builder.description,
        "",
        f"- works: {summary['works']}, versions: {summary['versions']}, "
        f"hours: {summary['hours']} (seed {seed}, built in {seconds / 60:.1f} min)",
        f"- train / val works: {summary['splits']['train']['works']} / "
        f"{summary['splits']['val']['works']}",
        *(
            f"- {src}: {s['works']} works, {s['versions']} versions, {s['hours']} h"
            for src, s in summary["sources"].items()
        ),
        "",
        "Features: raw HPCP (12, n) float32 from `model.hpcp.hpcp`, 22050 Hz, hop 512.",
        "See docs/datasets.md in the Coverscope repository for how this set is rebuilt.",
        "",
    ]
    (out / "README.md").write_text("\n".join(lines))


def main(args: argparse.Namespace) -> int:
    entries = build(
        args.name, Path(args.out), limit=args.limit, seed=args.seed, workers=args.workers
    )
    s = stats(entries)
    log.info("%s: %d works, %d versions, %.2f h", args.name, s["works"], s["versions"], s["hours"])
    return 0 if entries else 1
