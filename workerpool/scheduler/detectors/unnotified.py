"""Unnotified contributions and reveals (spec/core-spec.md §6.7): transactions the worker did not report.

Selection: replicates of tasks in the contribution or reveal phase that have not reported CONTRIBUTED (resp.
REVEALED) while the chain shows their contribution CONTRIBUTED or PROVED. Fast passes look only at replicates
that were about to send a transaction (COMPUTED … REVEALING); every ``full_every``-th pass looks at all.
Action: record the missing success statuses up to CONTRIBUTED / REVEALED (pool manager; the last one with
the block of the TaskContribute / TaskReveal log), then poke the task.

Grace: only replicates whose last status is older than ``grace_s``. A worker that is alive reports its own
transaction within seconds; writing CONTRIBUTED for it at the same time made its own CONTRIBUTING/CONTRIBUTED
reports bounce (the race described in ``TaskEngine._catch_up_contributions``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workerpool.chain.poco import PocoClient
from workerpool.common.errors import ChainError
from workerpool.common.messages import ChainReceipt, ReplicateStatusDetails
from workerpool.common.statuses import ChainContributionStatus as CC
from workerpool.common.statuses import ReplicateStatus as R
from workerpool.common.statuses import ReplicateStatusModifier as M
from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Replicate, Task, utcnow
from ..history import last_change, last_relevant
from ..replicates import learn_contribution, record_status
from .base import Poke
from .reveal_timeout import REVEAL_PHASE

__all__ = ["UnnotifiedDetector", "SUCCESS_ORDER", "missing_statuses", "chain_target", "is_candidate"]

log = logging.getLogger(__name__)

#: The success path of a replicate up to its reveal (spec/core-spec.md §6.7 "missing success statuses").
SUCCESS_ORDER = (R.CREATED, R.STARTING, R.STARTED, R.APP_DOWNLOADING, R.APP_DOWNLOADED, R.DATA_DOWNLOADING,
                 R.DATA_DOWNLOADED, R.COMPUTING, R.COMPUTED, R.CONTRIBUTING, R.CONTRIBUTED, R.REVEALING,
                 R.REVEALED)
_TASKS = [x.value for x in (T.INITIALIZED, T.RUNNING, *REVEAL_PHASE)]
_EVENT = {R.CONTRIBUTED: "TaskContribute", R.REVEALED: "TaskReveal"}


def chain_target(status: CC) -> R | None:
    """The replicate status an on-chain contribution status proves."""
    return {CC.CONTRIBUTED: R.CONTRIBUTED, CC.PROVED: R.REVEALED}.get(status)


def missing_statuses(last: R, target: R) -> list[R]:
    """Success statuses strictly after ``last`` up to ``target``; none after a failure or an abort."""
    if last.is_failure() or last.is_aborted() or last.is_final():
        return []
    return [s for s in SUCCESS_ORDER if last.position < s.position <= target.position]


def is_candidate(last: R, *, reveal_phase: bool, full: bool) -> bool:
    """Could this replicate have an unreported transaction? (fast pass: only around contribute/reveal)"""
    done = R.REVEALED if reveal_phase else R.CONTRIBUTED  # no reveal is possible before the consensus
    if last.position >= done.position or last.is_failure() or last.is_aborted():
        return False
    return full or last.position >= R.COMPUTED.position


class UnnotifiedDetector:
    name = "unnotified"

    def __init__(self, db: Database, poco: PocoClient, *, period_s: float, grace_s: float, poke: Poke,
                 full_every: int = 10, wall_now: Callable[[], datetime] = utcnow):
        self.db = db
        self.poco = poco
        self.period_s = period_s
        self._grace = timedelta(seconds=grace_s)
        self._poke = poke
        self._full_every = full_every
        self._wall_now = wall_now
        self._runs = 0

    def run(self, now: float) -> None:
        full = self._runs % self._full_every == 0
        self._runs += 1
        with self.db.session() as s:
            rows = s.execute(select(Replicate, Task.status).join(Task, Task.chain_task_id == Replicate.chain_task_id)
                             .where(Task.status.in_(_TASKS))).all()
            candidates = [(r.id, r.chain_task_id) for r, status in rows
                          if self._quiet(r) and is_candidate(last_relevant(r), reveal_phase=T(status) in REVEAL_PHASE,
                                                             full=full)]
        for replicate_id, chain_task_id in candidates:
            try:
                if self._check(replicate_id):
                    self._poke(chain_task_id)
            except ChainError as e:
                log.warning("unnotified check postponed: %s [task=%s]", e, chain_task_id)

    def _quiet(self, replicate: Replicate) -> bool:
        """Silent for the grace period (a live worker reports its own transactions first)."""
        changed = last_change(replicate)
        return changed is None or self._wall_now() - changed >= self._grace

    def _check(self, replicate_id: int) -> bool:
        """Record what the chain proves and the worker did not say; True when something was recorded."""
        with self.db.session() as s:
            replicate = s.get(Replicate, replicate_id)
            if replicate is None or not self._quiet(replicate):  # the worker spoke since the selection
                return False
            contribution = self.poco.view_contribution(replicate.chain_task_id, replicate.worker)
            target = chain_target(contribution.status)
            if target is None:
                return False
            learnt = not replicate.contribution_hash
            if learnt:
                learn_contribution(self.poco, replicate, contribution.result_hash)
            return self._record(s, replicate, target) or learnt

    def _record(self, s: Session, replicate: Replicate, target: R) -> bool:
        missing = missing_statuses(last_relevant(replicate), target)
        task = s.get(Task, replicate.chain_task_id)
        from_block = task.initialization_block if task else 0
        for status in missing:
            details = None
            if status in _EVENT:
                block = self.poco.task_event_block(_EVENT[status], replicate.chain_task_id, from_block,
                                                   worker=replicate.worker) or 0
                details = ReplicateStatusDetails(chain_receipt=ChainReceipt(block_number=block, tx_hash=""))
            record_status(s, replicate, status, M.POOL_MANAGER, details)
        if missing:
            log.warning("worker did not report its transaction: recorded %s [task=%s worker=%s]",
                        "->".join(x.value for x in missing), replicate.chain_task_id, replicate.worker)
        return bool(missing)
