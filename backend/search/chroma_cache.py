"""A small LRU of stored HPCP arrays: pair checks and re-ranking reuse the same songs."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from backend.storage.feature_store import FeatureStore, bytes_array


class ChromaCache:
    """HPCP arrays read from ``store`` by key, the ``size`` most recently used kept in memory."""

    def __init__(self, store: FeatureStore, *, size: int = 64) -> None:
        self.store = store
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray:
        """The (12, n_frames) HPCP stored under ``key``."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        chroma = bytes_array(self.store.get(key))
        with self._lock:
            self._items[key] = chroma
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return chroma
