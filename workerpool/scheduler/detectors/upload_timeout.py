"""Result upload timeout (spec/core-spec.md §6.6): an elected uploader that stays silent is replaced.

Selection: RESULT_UPLOADING tasks whose uploader is still RESULT_UPLOAD_REQUESTED or RESULT_UPLOADING
``timeout_s`` after its last status. Action: if the result repository does hold the result (the worker
uploaded but did not report), record RESULT_UPLOADED for it; otherwise record RESULT_UPLOAD_FAILED (pool
manager). Then poke the task: the engine finalizes, or elects another REVEALED replicate.

Unlike the iExec core, every task is checked (§12.2: a ``return`` in the loop stopped the scan) and an uploader
that never started (RESULT_UPLOAD_REQUESTED) is failed too (§12.4: that transition was refused, blocking the
task until its final deadline).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from workerpool.common.messages import ReplicateStatusDetails
from workerpool.common.statuses import ReplicateStatus as R
from workerpool.common.statuses import ReplicateStatusModifier as M
from workerpool.common.statuses import TaskStatus as T

from ..db.engine import Database
from ..db.tables import Replicate, Task, utcnow
from ..history import last_change
from ..replicates import record_status
from .base import Poke

__all__ = ["UploadTimeoutDetector", "upload_timed_out"]

log = logging.getLogger(__name__)

_UPLOADING = frozenset({R.RESULT_UPLOAD_REQUESTED, R.RESULT_UPLOADING})


def upload_timed_out(status: R, changed: datetime | None, *, now: datetime, timeout_s: float) -> bool:
    """Has an uploader in ``status`` since ``changed`` run out of time?"""
    return status in _UPLOADING and changed is not None and now - changed >= timedelta(seconds=timeout_s)


class UploadTimeoutDetector:
    name = "upload-timeout"

    def __init__(self, db: Database, *, timeout_s: float, period_s: float, has_result: Callable[[str], bool],
                 result_link_of: Callable[[str], str], poke: Poke, wall_now: Callable[[], datetime] = utcnow):
        self.db = db
        self.period_s = period_s
        self._timeout_s = timeout_s
        self._has_result = has_result
        self._result_link_of = result_link_of
        self._poke = poke
        self._wall_now = wall_now

    def run(self, now: float) -> None:
        touched = []
        with self.db.session() as s:
            rows = s.execute(select(Replicate, Task).join(Task, Task.chain_task_id == Replicate.chain_task_id)
                             .where(Task.status == T.RESULT_UPLOADING.value,
                                    Replicate.worker == Task.uploading_worker)).all()
            for uploader, task in rows:
                status = R(uploader.status)
                if not upload_timed_out(status, last_change(uploader), now=self._wall_now(),
                                        timeout_s=self._timeout_s):
                    continue
                if self._has_result(task.chain_task_id):
                    link = self._result_link_of(task.chain_task_id)
                    uploader.result_link = link
                    record_status(s, uploader, R.RESULT_UPLOADED, M.POOL_MANAGER,
                                  ReplicateStatusDetails(result_link=link))
                    log.warning("uploader did not report its upload: recorded RESULT_UPLOADED [task=%s worker=%s]",
                                task.chain_task_id, uploader.worker)
                else:
                    record_status(s, uploader, R.RESULT_UPLOAD_FAILED, M.POOL_MANAGER)
                    log.warning("uploader silent for %.0f s in %s: RESULT_UPLOAD_FAILED, electing another "
                                "[task=%s worker=%s]", self._timeout_s, status.value, task.chain_task_id,
                                uploader.worker)
                touched.append(task.chain_task_id)
        for chain_task_id in touched:
            self._poke(chain_task_id)
