"""What a detector is, and the schedule that runs each one on its own period from the engine thread.

A detector selects, with pure functions over database rows (and a few chain reads), the tasks or replicates
that need an action the normal flow will not take (a lost worker, a passed deadline, an unreported
transaction), and takes it. All its state is in the database, so a restarted scheduler resumes; a failing
detector is logged and never stops the loop (STYLE.md habit 5).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from workerpool.common.errors import ChainError

__all__ = ["Detector", "DetectorSchedule", "Poke"]

log = logging.getLogger(__name__)

#: Ask the engine to step one task soon (``EngineLoop.poke``).
Poke = Callable[[str], None]


class Detector(Protocol):
    """One periodic check."""

    #: Short name for logs.
    name: str
    #: Seconds between two runs.
    period_s: float

    def run(self, now: float) -> None:
        """One pass; ``now`` is the chain clock (seconds since the epoch, never behind the latest block)."""


class DetectorSchedule:
    """Runs every detector when its period has elapsed; the first run of each is immediate."""

    def __init__(self, detectors: Sequence[Detector], *, chain_now: Callable[[], float],
                 monotonic: Callable[[], float] = time.monotonic):
        self.detectors = list(detectors)
        self._chain_now = chain_now
        self._monotonic = monotonic
        self._next_run = [0.0] * len(self.detectors)

    def run_due(self) -> float:
        """Run the detectors that are due; returns the seconds until the next one is."""
        for i, detector in enumerate(self.detectors):
            if self._monotonic() < self._next_run[i]:
                continue
            self._next_run[i] = self._monotonic() + detector.period_s
            self._run_one(detector)
        if not self.detectors:
            return float("inf")
        return max(0.0, min(self._next_run) - self._monotonic())

    def _run_one(self, detector: Detector) -> None:
        try:
            detector.run(self._chain_now())
        except ChainError as e:
            log.warning("detector %s postponed, chain error: %s", detector.name, e)
        except Exception:  # one faulty detector must not stop the others nor the engine
            log.exception("detector %s failed", detector.name)
