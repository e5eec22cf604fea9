"""Recovery for a restarted worker (``GET /replicates/interrupted``, spec/core-spec.md §6.5).

For each live replicate of the worker, decide the action that resumes it, mark it RECOVERING and hand back
a freshly signed authorization. Unlike the iExec core, a replicate interrupted before COMPUTED is computed
again (PLEASE_DOWNLOAD_APP) instead of being left to time out.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workerpool.chain.poco import PocoClient
from workerpool.common.authorization import sign_authorization
from workerpool.common.messages import TaskNotification, TaskNotificationExtra
from workerpool.common.statuses import ChainContributionStatus as CC
from workerpool.common.statuses import ReplicateStatus as R
from workerpool.common.statuses import ReplicateStatusModifier as M
from workerpool.common.statuses import TaskAbortCause, TaskStatus
from workerpool.common.statuses import TaskNotificationType as N

from .db.engine import Database
from .db.tables import Replicate, Task
from .detectors.deadlines import CONTRIBUTION_PHASE
from .history import last_relevant
from .replicates import learn_contribution, record_status

__all__ = ["Recovery"]

log = logging.getLogger(__name__)
T = TaskStatus


class Recovery:
    def __init__(self, db: Database, poco: PocoClient, *, scheduler_key: Any):
        self.db = db
        self.poco = poco
        self._key = scheduler_key

    def interrupted(self, wallet: str) -> list[TaskNotification]:
        out = []
        with self.db.session() as s:
            replicates = s.scalars(select(Replicate).where(Replicate.worker == wallet)).all()
            for replicate in replicates:
                task = s.get(Task, replicate.chain_task_id)
                if task is None or R(replicate.status).is_final() or R(replicate.status).is_aborted():
                    continue
                action, extra = self._action(s, task, replicate)
                if action is None:
                    continue
                if replicate.status != R.RECOVERING.value:
                    record_status(s, replicate, R.RECOVERING, M.POOL_MANAGER)
                auth = sign_authorization(chain_task_id=task.chain_task_id, deal_id=task.deal_id,
                                          task_index=task.task_index, worker_wallet=wallet, private_key=self._key)
                extra["workerpoolAuthorization"] = auth.to_json()
                out.append(TaskNotification(chain_task_id=task.chain_task_id, workers_address=[wallet],
                                            task_notification_type=action,
                                            task_notification_extra=TaskNotificationExtra.model_validate(extra)))
                log.info("recovering with %s [task=%s worker=%s]", action.value, task.chain_task_id, wallet)
        return out

    def _action(self, s: Session, task: Task, replicate: Replicate) -> tuple[N | None, dict[str, Any]]:
        status = T(task.status)
        last = last_relevant(replicate)
        if status is T.COMPLETED:
            return (N.PLEASE_COMPLETE if R.REVEALED.value in {e.status for e in replicate.history}
                    else N.PLEASE_ABORT), {}
        if status is T.FAILED:
            return N.PLEASE_ABORT, {"taskAbortCause": TaskAbortCause.UNKNOWN.value}
        if last is R.REVEAL_TIMEOUT:  # its contribution is out of the consensus (rejected if reopened)
            return N.PLEASE_ABORT, {"taskAbortCause": TaskAbortCause.UNKNOWN.value}
        contribution = self.poco.view_contribution(task.chain_task_id, replicate.worker)
        if contribution.status is CC.REJECTED:
            return N.PLEASE_ABORT, {"taskAbortCause": TaskAbortCause.UNKNOWN.value}
        if status in CONTRIBUTION_PHASE:
            if contribution.status is CC.UNSET:
                return (N.PLEASE_DOWNLOAD_APP if last.position < R.COMPUTED.position or last.is_failure()
                        else N.PLEASE_CONTRIBUTE), {}
            if not replicate.contribution_hash:
                learn_contribution(self.poco, replicate, contribution.result_hash)
                record_status(s, replicate, R.CONTRIBUTED, M.POOL_MANAGER)
            return N.PLEASE_WAIT, {}
        if contribution.status is CC.UNSET or contribution.result_hash != task.consensus:
            return N.PLEASE_ABORT, {"taskAbortCause": TaskAbortCause.CONSENSUS_REACHED.value}
        if contribution.status is CC.CONTRIBUTED:
            return N.PLEASE_REVEAL, {"blockNumber": task.consensus_block}
        if task.uploading_worker == replicate.worker and status is T.RESULT_UPLOADING:
            return N.PLEASE_UPLOAD, {}
        return N.PLEASE_WAIT, {}
