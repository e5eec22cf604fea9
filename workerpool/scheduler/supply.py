"""Replicate supply (``GET /replicates/available``): pick a task for a worker that asks, sign its authorization.

One replicate per worker per task, ever; as many replicates per task as the consensus prediction needs
(spec/core-spec.md §5). Decisions are serialized by one lock so two asks never over-supply a task.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workerpool.chain.poco import PocoClient
from workerpool.common.authorization import WorkerpoolAuthorization, sign_authorization
from workerpool.common.statuses import ReplicateStatus, ReplicateStatusModifier, TaskStatus

from .consensus import needs_more_contributions, worker_weight
from .db.engine import Database
from .db.tables import Replicate, ReplicateStatusEntry, Task, Worker, utcnow
from .history import ever
from .workflow import COMPUTING_PHASE

__all__ = ["ReplicateSupply", "pending_weights", "contributed_groups"]

log = logging.getLogger(__name__)

#: Statuses after which a replicate can no longer bring a contribution (besides failures and aborts).
_DEAD = {ReplicateStatus.WORKER_LOST, ReplicateStatus.COMPLETED}


def contributed_groups(replicates: list[Replicate]) -> dict[str, list[int]]:
    """Result hash → weights of the replicates whose contribution counts on chain.

    A contribution counts whatever its worker did since (lost, aborted), except one that timed out in the
    reveal: a reopen rejected it and removed it from PoCo's consensus (spec/poco-spec.md §3.5).
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for r in replicates:
        if r.contribution_hash and not ever(r, ReplicateStatus.REVEAL_TIMEOUT):
            groups[r.contribution_hash].append(r.worker_weight or 2)
    return dict(groups)


def pending_weights(replicates: list[Replicate], *, now: datetime | None = None,
                    max_age_s: float | None = None) -> list[int]:
    """Weights of the replicates that have not contributed yet and still may.

    Lost, failed (CANT_*, *_FAILED, REVEAL_TIMEOUT…) and aborted replicates do not count. With ``now`` and
    ``max_age_s`` (the task's max execution time), neither does one created longer ago than that: a slow
    worker lets another one try (spec/core-spec.md §7.2).
    """
    weights = []
    for r in replicates:
        status = ReplicateStatus(r.status)
        if r.contribution_hash or status in _DEAD or status.is_failure() or status.is_aborted():
            continue
        if now is not None and max_age_s is not None and r.created_at is not None and (
                now - r.created_at > timedelta(seconds=max_age_s)):
            continue
        weights.append(r.worker_weight or 2)
    return weights


class ReplicateSupply:
    def __init__(self, db: Database, poco: PocoClient, *, scheduler_key: Any, ask_period_ms: int,
                 chain_now=time.time):  # type: ignore[no-untyped-def]
        self.db = db
        self.poco = poco
        self._key = scheduler_key
        self._ask_period_s = ask_period_ms / 1000
        self._chain_now = chain_now
        self._lock = threading.Lock()

    def available(self, wallet: str) -> WorkerpoolAuthorization | None:
        """A new replicate for ``wallet`` with its signed authorization, or None (nothing for now)."""
        with self._lock, self.db.session() as s:
            worker = s.get(Worker, wallet)
            if worker is None or not self._may_ask(worker) or self._free_slots(s, worker) <= 0:
                return None
            for task in self._candidates(s):
                if any(r.worker == wallet for r in task.replicates):
                    continue
                pending = pending_weights(task.replicates, now=utcnow(), max_age_s=task.max_execution_time_s)
                if not needs_more_contributions(task.trust, contributed_groups(task.replicates), pending):
                    continue
                return self._hand_out(s, task, wallet)
        return None

    def _may_ask(self, worker: Worker) -> bool:
        now = utcnow()
        # Rate limit as the iExec core: a demand sooner than the advertised period (minus slack) waits.
        if worker.last_demand and now - worker.last_demand < timedelta(seconds=self._ask_period_s - 0.5):
            return False
        worker.last_demand = now
        return True

    @staticmethod
    def _free_slots(s: Session, worker: Worker) -> int:
        busy = s.scalars(select(Replicate.status).where(Replicate.worker == worker.wallet)).all()
        computing = sum(1 for status in busy if ReplicateStatus(status) in COMPUTING_PHASE)
        return worker.max_nb_tasks - computing

    def _candidates(self, s: Session) -> list[Task]:
        now = int(self._chain_now())
        tasks = s.scalars(select(Task).where(Task.status.in_([TaskStatus.RUNNING.value,
                                                               TaskStatus.INITIALIZED.value]),
                                             Task.contribution_deadline > now)).all()
        # RUNNING first (finish what started), then the earliest contribution deadline.
        return sorted(tasks, key=lambda t: (t.status != TaskStatus.RUNNING.value, t.contribution_deadline))

    def _hand_out(self, s: Session, task: Task, wallet: str) -> WorkerpoolAuthorization:
        try:
            weight = worker_weight(self.poco.view_score(wallet))
        except Exception:  # the score only refines the prediction; a fresh worker's weight is a safe guess
            weight = 2
        replicate = Replicate(chain_task_id=task.chain_task_id, worker=wallet,
                              status=ReplicateStatus.CREATED.value, worker_weight=weight)
        s.add(replicate)
        s.flush()
        s.add(ReplicateStatusEntry(replicate_id=replicate.id, status=ReplicateStatus.CREATED.value,
                                   modifier=ReplicateStatusModifier.POOL_MANAGER.value))
        log.info("replicate created [task=%s worker=%s] trust=%d", task.chain_task_id, wallet, task.trust)
        return sign_authorization(chain_task_id=task.chain_task_id, deal_id=task.deal_id,
                                  task_index=task.task_index, worker_wallet=wallet, private_key=self._key)
