"""CPU-bound request work (pair checks and their pictures) off the request threads.

A request thread that computes a 0.2-2 s alignment holds a server thread and the process's
GIL, so list and rank requests queue behind it. ``CpuPool`` runs such work in its own worker
processes, at a lower CPU priority than the API, and bounds it: ``processes`` run at once and
at most ``queue`` more wait; a request beyond that gets ``Overloaded`` (HTTP 429 with
``Retry-After``) at once instead of holding a server thread. A waiting request blocks its
thread on a future without using CPU, so with ``processes + queue`` below the server's thread
count, cheap requests always find a free thread.

The worker processes are started with ``spawn`` (the API process runs threads; forking it
could copy a held lock), by ``start`` or on first use, and ask the kernel to end them with
their parent.
Arguments and results cross to them through ``multiprocessing``: only objects this process
built (already-decoded analyses, alignments), never bytes read from storage.
"""

from __future__ import annotations

import importlib
import logging
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from backend.supervise import die_with_parent
from model.errors import Overloaded

log = logging.getLogger(__name__)

T = TypeVar("T")

CHILD_NICENESS = 10
"""How much lower the pool's processes run than the API (``os.nice`` increment)."""
FIRST_ESTIMATE_S = 1.0
"""Assumed time a task holds its slot before one has been timed (for ``Retry-After``)."""
MAX_RETRY_AFTER_S = 60


def _start_child(niceness: int, preload: tuple[str, ...]) -> None:
    """Initializer of each pool process: die with the API process, yield the CPU to it, and
    import the modules its tasks use (so the first task does not pay for them)."""
    die_with_parent()
    if niceness:
        os.nice(niceness)
    for name in preload:
        importlib.import_module(name)


class CpuPool:
    """``processes`` worker processes; at most ``processes + queue`` tasks admitted at once."""

    def __init__(
        self,
        *,
        processes: int,
        queue: int,
        niceness: int = CHILD_NICENESS,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.processes = max(1, processes)
        self.capacity = self.processes + max(0, queue)
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._niceness = niceness
        self._preload = preload
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._mean_s = FIRST_ESTIMATE_S
        self._admitted = 0

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_child,
                    initargs=(self._niceness, self._preload),
                )
            return self._executor

    def start(self) -> None:
        """Start the worker processes now (without waiting), so the first task does not pay
        for their start-up."""
        self._pool().submit(int)

    @property
    def busy(self) -> int:
        """Tasks admitted and not yet finished (running or waiting)."""
        return self._admitted

    def retry_after(self) -> int:
        """Seconds a task has recently held its slot (waiting and running): by then the
        tasks admitted now have made room."""
        return max(1, min(MAX_RETRY_AFTER_S, math.ceil(self._mean_s)))

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a pool process (``fn`` importable by name); raises
        ``Overloaded`` at once when ``processes + queue`` tasks are already admitted, and what
        ``fn`` raised otherwise."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded(
                f"{self.capacity} pair checks are already running or waiting; try again "
                "shortly (cached checks still answer at once).",
                retry_after=self.retry_after(),
            )
        with self._lock:
            self._admitted += 1
        started = time.perf_counter()
        try:
            return self._pool().submit(fn, *args, **kwargs).result()
        finally:
            took = time.perf_counter() - started
            with self._lock:
                self._admitted -= 1
                self._mean_s = 0.8 * self._mean_s + 0.2 * took
            self._slots.release()

    def close(self) -> None:
        """Stop the worker processes (waiting for running tasks)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
