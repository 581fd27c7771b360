"""Keep ``coverscope serve``'s children alive: restart any that dies, with exponential backoff.

A child that dies is restarted after ``Backoff.delay`` (0.5 s, doubling to 30 s while it keeps
dying); once it has stayed up for ``Backoff.stable_s`` its count of failures is forgotten. Every
child is started with ``die_with_parent`` so that even a ``kill -9`` of ``serve`` orphans none.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from backend.backoff import Backoff

__all__ = ["Backoff", "Child", "Supervisor", "die_with_parent"]

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def die_with_parent() -> None:
    """``preexec_fn``: on Linux, ask the kernel to send SIGTERM to the child when its parent
    dies (however it dies); elsewhere nothing. Call it once in the parent first (``Supervisor``
    does) so the child, between fork and exec, only makes the system call."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


@dataclass
class Child:
    """One supervised process: how to start it and which signal stops it gracefully."""

    name: str
    spawn: Callable[[], subprocess.Popen[bytes]]
    stop_signal: int = signal.SIGTERM
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """Starts children in order, restarts those that die, stops them in reverse order."""

    def __init__(
        self,
        children: list[Child],
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = children
        self.backoff = backoff or Backoff()
        self.clock = clock
        _prctl()  # load libc here, not in a forked child

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def start(self, child: Child) -> subprocess.Popen[bytes]:
        child.proc = child.spawn()
        child.started_at = self.clock()
        child.restart_at = None
        return child.proc

    def tick(self) -> None:
        """Reap the dead, schedule their restart, and restart those whose wait is over."""
        now = self.clock()
        for child in self.children:
            proc = child.proc
            if child.restart_at is not None:
                if now >= child.restart_at:
                    try:
                        pid = self.start(child).pid
                    except OSError as exc:
                        self._schedule(child, now, f"could not start ({exc})")
                    else:
                        log.warning("%s restarted (pid %d)", child.name, pid)
            elif proc is not None and proc.poll() is not None:
                if now - child.started_at >= self.backoff.stable_s:
                    child.failures = 0
                self._schedule(child, now, f"exited with code {proc.returncode}")

    def _schedule(self, child: Child, now: float, why: str) -> None:
        child.failures += 1
        wait = self.backoff.delay(failures=child.failures)
        child.restart_at = now + wait
        log.error(
            "%s %s; restarting in %.1f s (failure %d in a row)",
            child.name,
            why,
            wait,
            child.failures,
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every running child, last started first; kill those that do not stop."""
        for child in reversed(self.children):
            proc = child.proc
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(child.stop_signal)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s; killing it", child.name, timeout)
                proc.kill()
                proc.wait()
