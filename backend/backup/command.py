"""``coverscope export`` / ``coverscope import``: the storage ``serve`` would use, then a backup.

With no ``MONGODB_URI`` the embedded database under ``<data-dir>/db`` is started for the
command and stopped after it, as ``serve`` does; ``coverscope serve`` must not be running on
that data folder then (two servers must never share one database folder).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from backend.backup.library import export_library, import_library
from backend.settings import Settings
from backend.storage.connect import Storage, open_storage
from backend.storage.embedded import EmbeddedMongo
from model.score import ScorerConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


@contextmanager
def library_storage(data_dir: Path) -> Iterator[tuple[Settings, Storage]]:
    """The settings and storage of the library in ``data_dir`` (environment as ``serve``)."""
    settings = Settings.from_env(data_dir=Path(data_dir).resolve())
    embedded = None
    if not settings.mongodb_uri:
        embedded = EmbeddedMongo(settings.db_dir).start()
        settings = settings.with_(mongodb_uri=embedded.uri)
    try:
        yield settings, open_storage(settings)
    finally:
        if embedded is not None:
            embedded.stop()


def _run(args: argparse.Namespace, work: Callable[[Settings, Storage], T]) -> T:
    with library_storage(args.data_dir) as (settings, storage):
        return work(settings, storage)


def export_main(args: argparse.Namespace) -> int:
    def work(settings: Settings, storage: Storage) -> dict[str, object]:
        report = export_library(
            songs=storage.songs,
            store=storage.store,
            out=Path(args.out),
            scorer_version=ScorerConfig.load(settings.scorer_path).version,
        )
        return asdict(report)

    report = _run(args, work)
    print(json.dumps({"exported": str(args.out), **report}))
    return 0


def import_main(args: argparse.Namespace) -> int:
    def work(settings: Settings, storage: Storage) -> dict[str, object]:
        report = import_library(songs=storage.songs, store=storage.store, path=Path(args.archive))
        storage.edges.invalidate()  # restored songs get their edges at the next worker start
        return report.to_dict()

    report = _run(args, work)
    print(json.dumps({"imported": str(args.archive), **report}))
    return 0
