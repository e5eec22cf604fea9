"""Reveal timeout and reopen (spec/core-spec.md §6.6, §7.4; spec/poco-spec.md §3.5).

Selection: tasks in the reveal phase whose reveal deadline has passed. Every replicate of the winning group
(``contribution_hash == task.consensus``) that never revealed → REVEAL_TIMEOUT (pool manager, cause
REVEAL_TIMEOUT) and PLEASE_ABORT. Then, if nobody revealed on chain and the contribution deadline is still
ahead (new workers can contribute), the scheduler sends ``reopen``: the task goes REOPENING → REOPENED →
RUNNING with its consensus fields cleared, and the supply hands out new replicates (REVEAL_TIMEOUT
contributions no longer count, supply.py). With at least one reveal the engine finalizes as usual
(``revealCounter > 0`` and the reveal deadline passed); with none and no time left, the final deadline fails
the task and the claim refunds it.

Restart: REOPENING is written before the transaction; a task found REOPENING is finished from the chain
(ACTIVE → REOPENED, RUNNING) or reopened again. A failed reopen goes back to CONSENSUS_REACHED (history
REOPEN_FAILED) and is retried on the next pass until the final deadline fails the task.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from workerpool.chain.models import ChainTask
from workerpool.chain.poco import PocoClient
from workerpool.common.errors import ChainError
from workerpool.common.messages import ReplicateStatusDetails
from workerpool.common.statuses import ChainTaskStatus as CT
from workerpool.common.statuses import ReplicateStatus as R
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import ReplicateStatusModifier as M
from workerpool.common.statuses import TaskAbortCause
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Replicate, Task, TaskStatusEntry
from ..history import ever, last_relevant
from ..notifications import NotificationHub
from ..replicates import record_status
from .base import Poke

__all__ = ["RevealTimeoutDetector", "REVEAL_PHASE", "reveal_timed_out", "should_reopen"]

log = logging.getLogger(__name__)

#: Task statuses between consensus and upload, where reveals are awaited.
REVEAL_PHASE = frozenset({T.CONSENSUS_REACHED, T.AT_LEAST_ONE_REVEALED, T.RESULT_UPLOADING, T.RESULT_UPLOADED})


def reveal_timed_out(replicate: Replicate, consensus: str) -> bool:
    """Is this replicate in the winning group without having revealed (and not yet marked)?"""
    if not consensus or replicate.contribution_hash != consensus or ever(replicate, R.REVEALED):
        return False
    last = last_relevant(replicate)
    return not (last.is_final() or last is R.REVEAL_TIMEOUT)


def should_reopen(chain: ChainTask, now: float) -> bool:
    """PoCo's reopen preconditions (REVEALING, nobody revealed, reveal deadline passed, final deadline ahead),
    and a reason to: new contributions are still possible (the reopen keeps the contribution deadline)."""
    return (chain.status is CT.REVEALING and chain.reveal_counter == 0
            and 0 < chain.reveal_deadline <= now < min(chain.contribution_deadline, chain.final_deadline))


class RevealTimeoutDetector:
    name = "reveal-timeout"

    def __init__(self, db: Database, poco: PocoClient, notifications: NotificationHub, *, period_s: float,
                 poke: Poke):
        self.db = db
        self.poco = poco
        self.notify = notifications
        self.period_s = period_s
        self._poke = poke

    def run(self, now: float) -> None:
        with self.db.session() as s:
            phase = Task.status.in_([x.value for x in REVEAL_PHASE])
            ids = s.scalars(select(Task.chain_task_id).where(
                (phase & (Task.reveal_deadline > 0) & (Task.reveal_deadline <= int(now)))
                | (Task.status == T.REOPENING.value))).all()
        for chain_task_id in ids:
            try:
                self._check(chain_task_id, now)
            except ChainError as e:
                log.warning("reveal timeout check postponed: %s [task=%s]", e, chain_task_id)
            self._poke(chain_task_id)

    def _check(self, chain_task_id: str, now: float) -> None:
        with self.db.session() as s:
            task = s.get(Task, chain_task_id)
            assert task is not None
            reopening = task.status == T.REOPENING.value
            if not reopening:
                self._time_out_replicates(s, task)
        chain = self.poco.view_task(chain_task_id)
        if reopening and chain.status is CT.ACTIVE:
            self._reopened(chain_task_id, tx_hash="", block=0)  # the reopen of a previous run went through
        elif should_reopen(chain, now):
            self._reopen(chain_task_id)

    def _time_out_replicates(self, s: Session, task: Task) -> None:
        details = ReplicateStatusDetails(cause=C.REVEAL_TIMEOUT)
        for replicate in task.replicates:
            if reveal_timed_out(replicate, task.consensus):
                record_status(s, replicate, R.REVEAL_TIMEOUT, M.POOL_MANAGER, details)
                self.notify.publish(task.chain_task_id, N.PLEASE_ABORT, worker=replicate.worker,
                                    extra={"taskAbortCause": TaskAbortCause.UNKNOWN.value}, session=s)
                log.warning("reveal deadline passed without reveal [task=%s worker=%s]", task.chain_task_id,
                            replicate.worker)

    def _reopen(self, chain_task_id: str) -> None:
        with self.db.session() as s:
            task = s.get(Task, chain_task_id)
            assert task is not None
            _set(s, task, T.REOPENING)
        try:
            receipt = self.poco.reopen(chain_task_id)
        except ChainError as e:
            log.error("reopen failed: %s [task=%s]", e, chain_task_id)
            with self.db.session() as s:
                task = s.get(Task, chain_task_id)
                assert task is not None
                _set(s, task, T.REOPEN_FAILED, T.CONSENSUS_REACHED)
            return
        self._reopened(chain_task_id, tx_hash=receipt.tx_hash, block=receipt.block_number)

    def _reopened(self, chain_task_id: str, *, tx_hash: str, block: int) -> None:
        with self.db.session() as s:
            task = s.get(Task, chain_task_id)
            assert task is not None
            s.add(TaskStatusEntry(chain_task_id=chain_task_id, status=T.REOPENED.value, tx_hash=tx_hash,
                                  block_number=block))
            task.consensus, task.reveal_deadline, task.consensus_block, task.uploading_worker = "", 0, 0, ""
            _set(s, task, T.RUNNING)
        log.info("task reopened: the winners did not reveal, new contributions wanted [task=%s]", chain_task_id)


def _set(s: Session, task: Task, *statuses: T) -> None:
    for status in statuses:
        s.add(TaskStatusEntry(chain_task_id=task.chain_task_id, status=status.value))
    task.status = statuses[-1].value
    log.info("task %s [task=%s]", "->".join(x.value for x in statuses), task.chain_task_id)
