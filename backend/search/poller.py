"""A daemon thread that keeps an in-memory view current by calling its ``refresh`` on a period
(the vector index and the neighbour graph both do this)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from model.errors import CoverscopeError

log = logging.getLogger(__name__)


class Poller:
    """Calls ``refresh`` every ``every`` seconds on a daemon thread named ``name``; ``every <= 0``
    polls never (the owner refreshes on every read). An error skips one round: a storage error
    is logged at debug, any other with its traceback."""

    def __init__(self, refresh: Callable[[], object], *, every: float, name: str) -> None:
        self.refresh = refresh
        self.every = every
        self.name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread unless it is running already (or polling is off)."""
        if self.every <= 0:
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.every)
            try:
                self.refresh()
            except CoverscopeError as exc:
                log.debug("%s: refresh skipped: %s", self.name, exc.message)
            except Exception:
                log.exception("%s: refresh failed", self.name)
