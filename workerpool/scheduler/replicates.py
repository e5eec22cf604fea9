"""Replicate status updates from workers: validate, verify against the chain, record, answer the next action.

Answers (HTTP code, UpdateAnswer): 200 accepted; 208 already reported (idempotent replay); 404 unknown
replicate; 409 impossible transition; 422 a claim the chain (or the result repository) does not confirm.
A refused update never changes state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workerpool.chain.poco import PocoClient
from workerpool.common.errors import ChainError
from workerpool.common.messages import ReplicateStatusDetails, ReplicateStatusUpdate, UpdateAnswer
from workerpool.common.statuses import ChainContributionStatus, ReplicateStatus, ReplicateStatusModifier
from workerpool.common.statuses import TaskNotificationType as N

from .consensus import worker_weight
from .db.engine import Database
from .db.tables import Replicate, ReplicateStatusEntry, Task, TaskLog
from .results import ResultStore
from .workflow import REPEATABLE, can_transition, next_action

__all__ = ["ReplicateUpdater", "record_status", "since_last_restart", "learn_contribution"]

log = logging.getLogger(__name__)

S = ReplicateStatus
_LOG_LIMIT = 100_000
#: Reports after which the chain may still hold the worker's contribution (a tx mined but not notified).
_MAY_HAVE_CONTRIBUTED = frozenset({S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE,
                                   S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET, S.CONTRIBUTE_FAILED})


def since_last_restart(replicate: Replicate) -> list[str]:
    """Statuses recorded since the replicate was last lost or recovered (a recovered worker may redo steps)."""
    statuses = [e.status for e in replicate.history]
    for i in range(len(statuses) - 1, -1, -1):
        if statuses[i] in (S.RECOVERING.value, S.WORKER_LOST.value):
            return statuses[i + 1:]
    return statuses


def record_status(s: Session, replicate: Replicate, status: ReplicateStatus, modifier: ReplicateStatusModifier,
                  details: ReplicateStatusDetails | None = None) -> None:
    """Append a status to the replicate's history and make it current."""
    cause = details.cause.value if details and details.cause else ""
    stored = details.model_dump(mode="json", exclude_none=True, exclude={"compute_logs"}) if details else {}
    s.add(ReplicateStatusEntry(replicate_id=replicate.id, status=status.value, modifier=modifier.value,
                               cause=cause, details=stored))
    replicate.status = status.value
    s.flush()
    s.refresh(replicate)


def learn_contribution(poco: PocoClient, replicate: Replicate, result_hash: str) -> None:
    """Remember the on-chain contribution of the replicate's worker: its result hash and PoCo weight (the two
    facts the consensus prediction of the supply needs)."""
    replicate.contribution_hash = result_hash
    replicate.worker_weight = worker_weight(poco.view_score(replicate.worker))


@dataclass(eq=False)  # not frozen: raising sets __traceback__ on the instance
class _Refusal(Exception):
    code: int
    reason: str


class ReplicateUpdater:
    def __init__(self, db: Database, poco: PocoClient, results: ResultStore, *,
                 on_update: Callable[[str], None], confirm_tries: int = 5, confirm_wait_s: float = 0.3):
        self.db = db
        self.poco = poco
        self.results = results
        self._on_update = on_update
        self._confirm_tries = confirm_tries
        self._confirm_wait_s = confirm_wait_s
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, task_id: str, wallet: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault((task_id, wallet), threading.Lock())

    def update(self, wallet: str, task_id: str, update: ReplicateStatusUpdate) -> tuple[int, UpdateAnswer]:
        """Apply one status update reported by ``wallet``; see the module docstring for the answers."""
        with self._lock(task_id, wallet):
            try:
                code, answer = self._update(wallet, task_id, update)
            except _Refusal as refusal:
                log.warning("status %s refused: %s [task=%s worker=%s]", update.status.value, refusal.reason,
                            task_id, wallet)
                return refusal.code, UpdateAnswer(accepted=False, reason=refusal.reason,
                                                  next_action=N.PLEASE_ABORT if refusal.code == 404 else None)
        if code == 200:
            self._on_update(task_id)
        return code, answer

    def _update(self, wallet: str, task_id: str, update: ReplicateStatusUpdate) -> tuple[int, UpdateAnswer]:
        with self.db.session() as s:
            replicate = s.scalars(select(Replicate).where(Replicate.chain_task_id == task_id,
                                                          Replicate.worker == wallet)).first()
            if replicate is None:
                raise _Refusal(404, f"no replicate of task {task_id} for worker {wallet}")
            status = update.status
            if status.value in since_last_restart(replicate) and status not in REPEATABLE:
                return 208, UpdateAnswer(next_action=N.PLEASE_WAIT, reason="already reported")
            current = ReplicateStatus(replicate.status)
            if not can_transition(current, status):
                raise _Refusal(409, f"{current.value} -> {status.value} is not a valid replicate transition")
            task = s.get(Task, task_id)
            assert task is not None  # replicate rows reference their task
            self._verify(replicate, task, update)
            record_status(s, replicate, status, ReplicateStatusModifier.WORKER, update.details)
            self._store_logs(s, replicate, update)
            log.info("replicate %s%s [task=%s worker=%s]", status.value,
                     f" cause={update.details.cause.value}" if update.details and update.details.cause else "",
                     task_id, wallet)
            if (status in _MAY_HAVE_CONTRIBUTED and S.CONTRIBUTED.value not in since_last_restart(replicate)
                    and self._catch_up_contribution(s, replicate, status)):
                return 200, UpdateAnswer(next_action=next_action(S.CONTRIBUTED))
            cause = update.details.cause if update.details else None
            return 200, UpdateAnswer(next_action=next_action(status, cause))

    def _catch_up_contribution(self, s: Session, replicate: Replicate, reported: ReplicateStatus) -> bool:
        """The worker said it could not contribute, yet the chain may hold its (unnotified) contribution:
        record CONTRIBUTED as the pool manager so the task goes on with it (core-spec §6.3 step 5)."""
        try:
            contribution = self.poco.view_contribution(replicate.chain_task_id, replicate.worker)
            if contribution.status not in (ChainContributionStatus.CONTRIBUTED, ChainContributionStatus.PROVED):
                return False
            learn_contribution(self.poco, replicate, contribution.result_hash)
        except ChainError as e:  # the contribution detectors catch up later
            log.warning("cannot read the contribution: %s [task=%s worker=%s]", e, replicate.chain_task_id,
                        replicate.worker)
            return False
        record_status(s, replicate, S.CONTRIBUTED, ReplicateStatusModifier.POOL_MANAGER)
        log.info("replicate CONTRIBUTED on chain after %s [task=%s worker=%s]", reported.value,
                 replicate.chain_task_id, replicate.worker)
        return True

    def _verify(self, replicate: Replicate, task: Task, update: ReplicateStatusUpdate) -> None:
        status = update.status
        if status is S.CONTRIBUTED:
            contribution = self._confirmed(task.chain_task_id, replicate.worker,
                                           {ChainContributionStatus.CONTRIBUTED, ChainContributionStatus.PROVED})
            if contribution is None:
                raise _Refusal(422, "no contribution of this worker on chain for this task")
            learn_contribution(self.poco, replicate, contribution)
        elif status is S.REVEALED:
            if self._confirmed(task.chain_task_id, replicate.worker, {ChainContributionStatus.PROVED}) is None:
                raise _Refusal(422, "no reveal of this worker on chain for this task")
        elif status is S.RESULT_UPLOADED:
            if task.uploading_worker != replicate.worker or not self.results.has(task.chain_task_id):
                raise _Refusal(422, "the result repository holds no result uploaded by this worker")
            link = update.details.result_link if update.details else None
            replicate.result_link = link or ""

    def _confirmed(self, task_id: str, worker: str, wanted: set[ChainContributionStatus]) -> str | None:
        """Result hash of the worker's on-chain contribution once its status is in ``wanted`` (a few tries)."""
        for attempt in range(self._confirm_tries):
            contribution = self.poco.view_contribution(task_id, worker)
            if contribution.status in wanted:
                return contribution.result_hash
            if attempt + 1 < self._confirm_tries:
                time.sleep(self._confirm_wait_s)
        return None

    @staticmethod
    def _store_logs(s: Session, replicate: Replicate, update: ReplicateStatusUpdate) -> None:
        details = update.details
        if update.status is not S.COMPUTED or details is None or details.compute_logs is None:
            return
        exists = s.scalars(select(TaskLog).where(TaskLog.chain_task_id == replicate.chain_task_id,
                                                 TaskLog.worker == replicate.worker)).first()
        if exists is None:
            s.add(TaskLog(chain_task_id=replicate.chain_task_id, worker=replicate.worker,
                          stdout=details.compute_logs.stdout[-_LOG_LIMIT:],
                          stderr=details.compute_logs.stderr[-_LOG_LIMIT:], exit_code=details.exit_code))
