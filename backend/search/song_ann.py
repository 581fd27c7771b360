"""The approximate index of the library's songs: an ``AnnIndex`` whose labels stand for song ids.

Kept in step with the library by ``sync`` (new songs added, removed songs dropped, nothing
retrained) and persisted in the feature store as one ``.npz`` of faiss's serialised index
and the song ids (read back without pickle), so a restart does not retrain.
"""

from __future__ import annotations

import io
import logging

import numpy as np

from backend.search.ann import AnnIndex
from backend.storage.feature_store import FeatureStore
from model.errors import NotFound

log = logging.getLogger(__name__)

REBUILD_SHARE = 0.5
"""Retrain when more than this share of the library is new or gone since the last build (a
re-embedding after a model change replaces every vector)."""


def store_key(model_version: str) -> str:
    return f"index/ivf-sq8-{model_version}.npz"


class SongAnn:
    """Labels are positions in ``ids`` (append-only; a removed song leaves ``""``)."""

    def __init__(self, ann: AnnIndex, ids: list[str]) -> None:
        self.ann = ann
        self.ids = ids
        self.label_of = {song: label for label, song in enumerate(ids) if song}

    @classmethod
    def build(cls, ids: list[str], matrix: np.ndarray) -> SongAnn:
        """Train on ``matrix`` (n, dim) unit float32 and add every row, row i under ``ids[i]``."""
        ann = AnnIndex.train(matrix)
        ann.add(np.arange(len(ids), dtype=np.int64), matrix)
        return cls(ann, list(ids))

    def sync(self, ids: list[str], matrix: np.ndarray) -> bool:
        """Add the songs of ``ids`` (row i of ``matrix`` is ``ids[i]``) the index lacks and drop
        those it holds that ``ids`` lacks; returns ``False``, changing nothing, when the
        library calls for retraining instead (outgrown, or more than ``REBUILD_SHARE`` of it
        new or gone). A song's vector is taken to be unchanged while its model version is
        (vectors of another model never reach this index)."""
        if self.ann.outgrown(len(ids)):
            return False
        present = set(ids)
        gone = [song for song in self.label_of if song not in present]
        new = [row for row, song in enumerate(ids) if song not in self.label_of]
        if len(new) + len(gone) > REBUILD_SHARE * max(1, len(ids)):
            return False
        if gone:
            labels = np.array([self.label_of.pop(song) for song in gone], dtype=np.int64)
            self.ann.remove(labels)
            for label in labels:
                self.ids[int(label)] = ""
        if new:
            first = len(self.ids)
            for offset, row in enumerate(new):
                self.ids.append(ids[row])
                self.label_of[ids[row]] = first + offset
            labels = np.arange(first, first + len(new), dtype=np.int64)
            self.ann.add(labels, matrix[np.array(new)])
        if gone or new:
            log.info("vector index: %d songs added, %d removed in place", len(new), len(gone))
        return True

    def rows(self, ids: list[str]) -> np.ndarray:
        """Label -> row of ``ids`` (-1 for labels not in it), int64 of ``len(self.ids)``."""
        rows = np.full(len(self.ids), -1, dtype=np.int64)
        labels = [self.label_of[song] for song in ids]
        rows[np.array(labels, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
        return rows

    def save(self, store: FeatureStore, model_version: str) -> None:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            index=np.frombuffer(self.ann.to_bytes(), dtype=np.uint8),
            ids=np.array([song.encode() for song in self.ids], dtype=bytes),  # 1 byte a char
            trained_for=np.array(self.ann.trained_for, dtype=np.int64),
        )
        store.put(store_key(model_version), buffer.getvalue())

    @classmethod
    def load(cls, store: FeatureStore, model_version: str) -> SongAnn | None:
        """The saved index of ``model_version``, or ``None`` when there is none."""
        try:
            data = store.get(store_key(model_version))
        except NotFound:
            return None
        with np.load(io.BytesIO(data), allow_pickle=False) as saved:
            ann = AnnIndex.from_bytes(
                saved["index"].tobytes(), trained_for=int(saved["trained_for"])
            )
            ids = [song.decode() for song in saved["ids"].tolist()]
        return cls(ann, ids)
