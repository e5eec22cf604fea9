"""Worker lost (spec/core-spec.md §6.4): a worker silent for ``lost_after_s`` loses its live replicates.

Each replicate of a lost worker that is not final, not aborted, and whose task is live and before its final
deadline becomes WORKER_LOST (pool manager). The supply then stops counting it as pending, so the task is
handed to another worker; the worker keeps its task ids (``/replicates/interrupted``) and, if it comes back,
goes on reporting from WORKER_LOST. Liveness is the ``last_alive`` column; a restarted scheduler gives every
worker ``lost_after_s`` from its own start to ping again before declaring it lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from workerpool.common.statuses import ReplicateStatus as R
from workerpool.common.statuses import ReplicateStatusModifier as M
from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Replicate, Task, Worker, utcnow
from ..engine import LIVE_STATUSES
from ..replicates import record_status
from .base import Poke

__all__ = ["WorkerLostDetector", "lost_wallets", "should_mark_lost"]

log = logging.getLogger(__name__)


def lost_wallets(workers: Iterable[tuple[str, datetime | None]], *, now: datetime, lost_after_s: float,
                 alive_since: datetime) -> list[str]:
    """Wallets whose last sign of life (never earlier than ``alive_since``) is ``lost_after_s`` old."""
    threshold = now - timedelta(seconds=lost_after_s)
    return [wallet for wallet, last_alive in workers if max(last_alive or alive_since, alive_since) < threshold]


def should_mark_lost(replicate_status: R, task_status: T, final_deadline: int, now: float) -> bool:
    """Does this replicate of a lost worker become WORKER_LOST?"""
    if task_status.is_final() or now >= final_deadline:
        return False
    return not (replicate_status.is_final() or replicate_status.is_aborted()
                or replicate_status in (R.WORKER_LOST, R.REVEAL_TIMEOUT))


class WorkerLostDetector:
    name = "worker-lost"

    def __init__(self, db: Database, *, lost_after_s: float, period_s: float, poke: Poke,
                 wall_now: Callable[[], datetime] = utcnow):
        self.db = db
        self.period_s = period_s
        self._lost_after_s = lost_after_s
        self._poke = poke
        self._wall_now = wall_now
        self._since = wall_now()

    def run(self, now: float) -> None:
        touched: set[str] = set()
        with self.db.session() as s:
            workers = s.execute(select(Worker.wallet, Worker.last_alive)).all()
            lost = lost_wallets(workers, now=self._wall_now(), lost_after_s=self._lost_after_s,
                                alive_since=self._since)
            if not lost:
                return
            rows = s.execute(select(Replicate, Task).join(Task, Task.chain_task_id == Replicate.chain_task_id)
                             .where(Replicate.worker.in_(lost), Task.status.in_(LIVE_STATUSES))).all()
            for replicate, task in rows:
                was = R(replicate.status)
                if should_mark_lost(was, T(task.status), task.final_deadline, now):
                    record_status(s, replicate, R.WORKER_LOST, M.POOL_MANAGER)
                    log.warning("worker lost, replicate was %s [task=%s worker=%s]", was.value,
                                task.chain_task_id, replicate.worker)
                    touched.add(task.chain_task_id)
        for chain_task_id in touched:
            self._poke(chain_task_id)

