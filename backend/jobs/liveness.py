"""Is a worker alive? Each worker process stamps the time into the queue's own key-value store
every ``BEAT_EVERY_S``; ``/api/health`` reads the newest stamp. The queue (SQLite or Redis) is
shared by the API and every worker, so this works on one machine and spread out alike. Stamps
are plain text (never pickled)."""

from __future__ import annotations

import logging
import threading
import time

from huey import Huey
from huey.constants import EmptyData

log = logging.getLogger(__name__)

BEAT_KEY = "coverscope:worker-heartbeat"
BEAT_EVERY_S = 5.0
STALE_AFTER_S = 4 * BEAT_EVERY_S


def beat(huey: Huey, *, now: float | None = None) -> None:
    """Record that a worker is alive at ``now`` (Unix seconds; default the current time)."""
    stamp = time.time() if now is None else now
    huey.storage.put_data(BEAT_KEY, f"{stamp:.3f}".encode())


def keep_beating(huey: Huey, *, every: float = BEAT_EVERY_S) -> threading.Event:
    """Beat now and then every ``every`` seconds on a daemon thread; set the returned event to
    stop."""
    stop = threading.Event()

    def run() -> None:
        while True:
            try:
                beat(huey)
            except Exception as exc:  # the queue's own errors differ by backend
                log.warning("worker heartbeat missed: %s", exc)
            if stop.wait(every):
                return

    threading.Thread(target=run, name="worker-heartbeat", daemon=True).start()
    return stop


def worker_status(huey: Huey, *, now: float | None = None) -> str:
    """``"ok"`` when a worker beat within ``STALE_AFTER_S``, else what is known."""
    raw = huey.storage.peek_data(BEAT_KEY)
    if raw is EmptyData:
        return "no worker has started"
    age = (time.time() if now is None else now) - float(bytes(raw).decode())
    return "ok" if age <= STALE_AFTER_S else f"no worker heartbeat for {age:.0f} s"
