"""Claim (spec/poco-spec.md §3.7, §3.9): refund the requester of every failed task past its final deadline.

Selection: tasks FAILED in the database, final deadline passed, not yet marked claimed. Action, by on-chain
status: ACTIVE/REVEALING → ``claim``; UNSET → ``initializeAndClaimArray`` (a task never initialized);
FAILED → someone already claimed, only record it; COMPLETED → nothing to claim.

Record: a ``CLAIMED`` entry in the task's status history (``task_status`` table, outside the TaskStatus
vocabulary, like a ledger line) with the claim's tx hash and block; the task stays FAILED. The marker is
written after the transaction, so a crash in between only means one more chain read on the next pass, which
then finds the task FAILED on chain and records the marker with the TaskClaimed block.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy import exists, select

from workerpool.chain.poco import PocoClient
from workerpool.common.errors import ChainError
from workerpool.common.statuses import ChainTaskStatus as CT
from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Task, TaskStatusEntry

__all__ = ["ClaimDetector", "ClaimAction", "claim_action", "CLAIMED"]

log = logging.getLogger(__name__)

#: History marker of a claimed task (``TaskStatusEntry.status``).
CLAIMED = "CLAIMED"
#: History marker of a failed task that turned out COMPLETED on chain: nothing to claim, never look again.
NOTHING_TO_CLAIM = "NOTHING_TO_CLAIM"


class ClaimAction(str, enum.Enum):
    """What to do with a failed task past its final deadline."""

    CLAIM = "CLAIM"  #: send claim(taskid)
    INITIALIZE_AND_CLAIM = "INITIALIZE_AND_CLAIM"  #: send initializeAndClaimArray([deal], [idx])
    RECORD = "RECORD"  #: already claimed on chain: only write the marker
    NONE = "NONE"  #: finalized on chain: nothing to refund


def claim_action(chain_status: CT) -> ClaimAction:
    return {CT.ACTIVE: ClaimAction.CLAIM, CT.REVEALING: ClaimAction.CLAIM, CT.UNSET: ClaimAction.INITIALIZE_AND_CLAIM,
            CT.FAILED: ClaimAction.RECORD}.get(chain_status, ClaimAction.NONE)


class ClaimDetector:
    name = "claim"

    def __init__(self, db: Database, poco: PocoClient, *, period_s: float):
        self.db = db
        self.poco = poco
        self.period_s = period_s

    def run(self, now: float) -> None:
        claimed = exists().where(TaskStatusEntry.chain_task_id == Task.chain_task_id,
                                 TaskStatusEntry.status.in_([CLAIMED, NOTHING_TO_CLAIM]))
        with self.db.session() as s:
            ids = s.scalars(select(Task.chain_task_id).where(Task.status == T.FAILED.value,
                                                             Task.final_deadline <= int(now), ~claimed)).all()
        for chain_task_id in ids:
            try:
                self._claim(chain_task_id)
            except ChainError as e:  # retried on the next pass; the other tasks still get theirs
                log.warning("claim postponed: %s [task=%s]", e, chain_task_id)

    def _claim(self, chain_task_id: str) -> None:
        with self.db.session() as s:
            task = s.get(Task, chain_task_id)
            assert task is not None
            action = claim_action(self.poco.view_task(chain_task_id).status)
            if action is ClaimAction.NONE:
                log.info("failed task is COMPLETED on chain: nothing to claim [task=%s]", chain_task_id)
                s.add(TaskStatusEntry(chain_task_id=chain_task_id, status=NOTHING_TO_CLAIM))
                return
            tx_hash, block = "", 0
            if action is ClaimAction.RECORD:
                block = self.poco.task_event_block("TaskClaimed", chain_task_id, task.deal_block) or 0
            else:
                receipt = (self.poco.claim(chain_task_id) if action is ClaimAction.CLAIM
                           else self.poco.initialize_and_claim(task.deal_id, task.task_index))
                tx_hash, block = receipt.tx_hash, receipt.block_number
            s.add(TaskStatusEntry(chain_task_id=chain_task_id, status=CLAIMED, tx_hash=tx_hash, block_number=block))
            log.info("task claimed (%s), requester refunded [task=%s] tx=%s", action.value, chain_task_id,
                     tx_hash or "-")
