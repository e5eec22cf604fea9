"""Contribution timeout (spec/core-spec.md §6.6, §6.7): tasks still taking contributions past the deadline.

The decision and its effects live in the engine (``TaskEngine._contribution_phase``: with the chain still
ACTIVE the task goes CONTRIBUTION_TIMEOUT→FAILED and every replicate that is neither final nor aborted gets
PLEASE_ABORT(CONTRIBUTION_TIMEOUT)); this detector makes sure each such task is stepped. The refund comes
later, once the final deadline passes (``claim.py``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Task
from .base import Poke

__all__ = ["ContributionTimeoutDetector", "CONTRIBUTION_PHASE", "contribution_timed_out"]

log = logging.getLogger(__name__)

#: Task statuses in which contributions are still expected.
CONTRIBUTION_PHASE = frozenset({T.RECEIVED, T.INITIALIZING, T.INITIALIZED, T.RUNNING})


def contribution_timed_out(status: T, contribution_deadline: int, final_deadline: int, now: float) -> bool:
    """Past the contribution deadline but not the final one (that is ``final_deadline.py``'s case)."""
    return status in CONTRIBUTION_PHASE and contribution_deadline <= now < final_deadline


class ContributionTimeoutDetector:
    name = "contribution-timeout"

    def __init__(self, db: Database, *, period_s: float, poke: Poke):
        self.db = db
        self.period_s = period_s
        self._poke = poke

    def run(self, now: float) -> None:
        with self.db.session() as s:
            rows = s.execute(select(Task.chain_task_id, Task.status, Task.contribution_deadline,
                                    Task.final_deadline)
                             .where(Task.status.in_([x.value for x in CONTRIBUTION_PHASE]),
                                    Task.contribution_deadline <= int(now))).all()
        for chain_task_id, status, contribution_deadline, final_deadline in rows:
            if contribution_timed_out(T(status), contribution_deadline, final_deadline, now):
                log.info("contribution deadline passed in %s [task=%s]", status, chain_task_id)
                self._poke(chain_task_id)
