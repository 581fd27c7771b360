"""Exponential backoff, shared by whatever waits before trying again: ``serve``'s supervisor
restarting a child that died, and a job retrying through a database or bucket outage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """How long to wait before the next try after ``failures`` failures in a row."""

    initial_s: float = 0.5
    factor: float = 2.0
    cap_s: float = 30.0
    stable_s: float = 60.0
    """Something that ran this long before failing again starts over from ``initial_s``."""

    def delay(self, *, failures: int) -> float:
        """The wait after the ``failures``-th failure in a row (``failures >= 1``)."""
        return float(min(self.cap_s, self.initial_s * self.factor ** max(0, failures - 1)))
