"""Periodic detectors of the scheduler (spec/core-spec.md §6.4–6.7): one module per detector.

Each module's docstring gives its selection and action; in short (periods from SchedulerSettings):

- worker_lost (detector period): replicates of workers silent ``worker_lost_after_s`` → WORKER_LOST.
- deadlines (detector period): contribution-phase tasks past the contribution deadline and live tasks past
  the final deadline → engine step (CONTRIBUTION_TIMEOUT→FAILED, PLEASE_ABORT / FINAL_DEADLINE_REACHED→FAILED).
- reveal_timeout (``REVEAL_TIMEOUT_PERIOD``): reveal-phase tasks past the reveal deadline → REVEAL_TIMEOUT for
  the silent winners, ``reopen`` when nobody revealed.
- claim (detector period): FAILED tasks past the final deadline → ``claim`` / ``initializeAndClaimArray``.
- unnotified (detector period): contributions/reveals on chain the worker did not report → CONTRIBUTED/REVEALED.
- upload_timeout (detector period): silent elected uploaders → RESULT_UPLOAD_FAILED, re-election.
"""

from __future__ import annotations

from .base import Detector, DetectorSchedule, Poke
from .claim import ClaimDetector
from .deadlines import DeadlinesDetector
from .reveal_timeout import RevealTimeoutDetector
from .unnotified import UnnotifiedDetector
from .upload_timeout import UploadTimeoutDetector
from .worker_lost import WorkerLostDetector

__all__ = ["Detector", "DetectorSchedule", "Poke", "ClaimDetector", "DeadlinesDetector", "RevealTimeoutDetector",
           "UnnotifiedDetector", "UploadTimeoutDetector", "WorkerLostDetector"]
