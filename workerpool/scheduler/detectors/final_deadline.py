"""Final deadline (spec/core-spec.md §6.6, §6.7): live tasks past their final deadline.

The engine fails them (FINAL_DEADLINE_REACHED→FAILED, PLEASE_ABORT) unless the chain says COMPLETED; this
detector makes sure each is stepped. Claiming the refund is ``claim.py``'s job.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..db.engine import Database
from ..db.tables import Task
from ..engine import LIVE_STATUSES
from .base import Poke

__all__ = ["FinalDeadlineDetector"]

log = logging.getLogger(__name__)


class FinalDeadlineDetector:
    name = "final-deadline"

    def __init__(self, db: Database, *, period_s: float, poke: Poke):
        self.db = db
        self.period_s = period_s
        self._poke = poke

    def run(self, now: float) -> None:
        with self.db.session() as s:
            ids = s.scalars(select(Task.chain_task_id).where(Task.status.in_(LIVE_STATUSES),
                                                             Task.final_deadline <= int(now))).all()
        for chain_task_id in ids:
            log.info("final deadline passed [task=%s]", chain_task_id)
            self._poke(chain_task_id)
