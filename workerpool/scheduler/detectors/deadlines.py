"""Deadlines (spec/core-spec.md §6.6, §6.7): tasks past their contribution or final deadline get stepped.

The decisions and their effects live in the engine: a contribution-phase task past its contribution deadline
with the chain still ACTIVE goes CONTRIBUTION_TIMEOUT→FAILED and its replicates get
PLEASE_ABORT(CONTRIBUTION_TIMEOUT); any live task past its final deadline goes FINAL_DEADLINE_REACHED→FAILED
unless the chain says COMPLETED. This detector makes sure each such task is stepped; the refund is
``claim.py``'s job once the final deadline passes.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, or_, select

from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Task
from ..engine import LIVE_STATUSES
from .base import Poke

__all__ = ["DeadlinesDetector", "CONTRIBUTION_PHASE", "contribution_timed_out"]

log = logging.getLogger(__name__)

#: Task statuses in which contributions are still expected.
CONTRIBUTION_PHASE = frozenset({T.RECEIVED, T.INITIALIZING, T.INITIALIZED, T.RUNNING})


def contribution_timed_out(status: T, contribution_deadline: int, final_deadline: int, now: float) -> bool:
    """Past the contribution deadline but not the final one (the final deadline is the other case)."""
    return status in CONTRIBUTION_PHASE and contribution_deadline <= now < final_deadline


class DeadlinesDetector:
    name = "deadlines"

    def __init__(self, db: Database, *, period_s: float, poke: Poke):
        self.db = db
        self.period_s = period_s
        self._poke = poke

    def run(self, now: float) -> None:
        contribution_phase = [x.value for x in CONTRIBUTION_PHASE]
        with self.db.session() as s:
            rows = s.execute(select(Task.chain_task_id, Task.status, Task.contribution_deadline,
                                    Task.final_deadline).where(or_(
                and_(Task.status.in_(contribution_phase), Task.contribution_deadline <= int(now)),
                and_(Task.status.in_(LIVE_STATUSES), Task.final_deadline <= int(now))))).all()
        for chain_task_id, status, contribution_deadline, final_deadline in rows:
            late = "final" if final_deadline <= now else "contribution"
            if late == "final" or contribution_timed_out(T(status), contribution_deadline, final_deadline, now):
                log.info("%s deadline passed in %s [task=%s]", late, status, chain_task_id)
                self._poke(chain_task_id)
