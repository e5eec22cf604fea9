"""Task engine: moves every live task along its lifecycle by reconciling the database with the chain.

Each step reads the on-chain task, decides, and acts (initialize, ask for reveals, elect an uploader,
finalize). Steps are idempotent, so a restart simply resumes (spec/core-spec.md §4.4, §14).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from workerpool.chain.models import ChainTask
from workerpool.chain.poco import PocoClient
from workerpool.common.errors import ChainError
from workerpool.common.statuses import (
    ChainContributionStatus,
    ChainTaskStatus,
    ReplicateStatus,
    TaskAbortCause,
    TaskStatus,
)
from workerpool.common.statuses import ReplicateStatusModifier as M
from workerpool.common.statuses import TaskNotificationType as N

from .db.engine import Database
from .db.tables import Replicate, Task, TaskStatusEntry
from .notifications import NotificationHub
from .replicates import learn_contribution, record_status

if TYPE_CHECKING:
    from .detectors.base import DetectorSchedule

__all__ = ["TaskEngine", "EngineLoop", "LIVE_STATUSES"]

log = logging.getLogger(__name__)
T = TaskStatus
R = ReplicateStatus

#: Tasks the engine still drives.
LIVE_STATUSES = [s.value for s in TaskStatus if not s.is_final()]


class TaskEngine:
    def __init__(self, db: Database, poco: PocoClient, notifications: NotificationHub, *,
                 result_link_of: Callable[[str], str], chain_now: Callable[[], float]):
        self.db = db
        self.poco = poco
        self.notify = notifications
        self._result_link_of = result_link_of
        self._now = chain_now
        self._random = random.Random()

    # ---- one pass ----------------------------------------------------------------------------------------
    def step_all(self, only: set[str] | None = None) -> None:
        with self.db.session() as s:
            ids = [t for t in s.scalars(select(Task.chain_task_id).where(Task.status.in_(LIVE_STATUSES)))
                   if only is None or t in only]
        for chain_task_id in ids:
            try:
                self.step(chain_task_id)
            except ChainError as e:
                log.warning("task step postponed, chain error: %s [task=%s]", e, chain_task_id)

    def step(self, chain_task_id: str) -> None:
        """Advance one task as far as the chain and its replicates allow."""
        for _ in range(8):  # a few transitions per pass; each returns True when it changed something
            with self.db.session() as s:
                task = s.get(Task, chain_task_id)
                if task is None or T(task.status).is_final():
                    return
                chain = self.poco.view_task(chain_task_id)
                if not self._advance(s, task, chain):
                    return

    def _advance(self, s: Session, task: Task, chain: ChainTask) -> bool:
        now = self._now()
        if now >= task.final_deadline and chain.status is not ChainTaskStatus.COMPLETED:
            return self._fail(s, task, T.FINAL_DEADLINE_REACHED)
        status = T(task.status)
        handler = {
            # INITIALIZING / FINALIZING are found only after a crash between the status write and the
            # transaction: the handlers read the chain and retry or move on (restart safety).
            T.RECEIVED: self._initialize, T.INITIALIZING: self._initialize,
            T.INITIALIZED: self._contribution_phase, T.RUNNING: self._contribution_phase,
            T.CONSENSUS_REACHED: self._reveal_phase, T.AT_LEAST_ONE_REVEALED: self._reveal_phase,
            T.RESULT_UPLOADING: self._upload_phase, T.RESULT_UPLOADED: self._finalize, T.FINALIZING: self._finalize,
        }.get(status)
        return handler(s, task, chain) if handler else False

    # ---- transitions -------------------------------------------------------------------------------------
    def _set(self, s: Session, task: Task, *statuses: TaskStatus, tx_hash: str = "", block: int = 0) -> None:
        for status in statuses:
            s.add(TaskStatusEntry(chain_task_id=task.chain_task_id, status=status.value, tx_hash=tx_hash,
                                  block_number=block))
        task.status = statuses[-1].value
        log.info("task %s [task=%s]", "->".join(x.value for x in statuses), task.chain_task_id)

    def _fail(self, s: Session, task: Task, reason: TaskStatus) -> bool:
        task.failure_reason = reason.value
        self._set(s, task, reason, T.FAILED)
        for replicate in task.replicates:
            if not R(replicate.status).is_final() and not R(replicate.status).is_aborted():
                timeout = reason is T.CONTRIBUTION_TIMEOUT
                cause = TaskAbortCause.CONTRIBUTION_TIMEOUT if timeout else TaskAbortCause.UNKNOWN
                self.notify.publish(task.chain_task_id, N.PLEASE_ABORT, worker=replicate.worker,
                                    extra={"taskAbortCause": cause.value}, session=s)
        return False

    def _initialize(self, s: Session, task: Task, chain: ChainTask) -> bool:
        if chain.status is ChainTaskStatus.UNSET:
            if self._now() >= task.contribution_deadline:
                return self._fail(s, task, T.CONTRIBUTION_TIMEOUT)
            if task.status != T.INITIALIZING.value:
                self._set(s, task, T.INITIALIZING)
            s.commit()
            try:
                receipt = self.poco.initialize(task.deal_id, task.task_index)
            except ChainError as e:
                log.error("initialize failed: %s [task=%s]", e, task.chain_task_id)
                task.status = T.RECEIVED.value  # retried on the next pass; the deadline check ends it
                return False
            task.initialization_block = receipt.block_number
            self._set(s, task, T.INITIALIZED, tx_hash=receipt.tx_hash, block=receipt.block_number)
            return True
        task.initialization_block = task.initialization_block or (
            self.poco.task_event_block("TaskInitialize", task.chain_task_id, task.deal_block) or 0)
        self._set(s, task, T.INITIALIZED)
        return True

    def _contribution_phase(self, s: Session, task: Task, chain: ChainTask) -> bool:
        if task.status == T.INITIALIZED.value and any(r.status != R.CREATED.value for r in task.replicates):
            self._set(s, task, T.RUNNING)
            return True
        if chain.status is ChainTaskStatus.REVEALING:
            return self._consensus_reached(s, task, chain)
        if chain.status is ChainTaskStatus.COMPLETED:
            self._set(s, task, T.FINALIZED, T.COMPLETED)
            self.notify.publish(task.chain_task_id, N.PLEASE_COMPLETE, session=s)
            return False
        if chain.status is ChainTaskStatus.ACTIVE and self._now() >= task.contribution_deadline:
            return self._fail(s, task, T.CONTRIBUTION_TIMEOUT)
        return False

    def _catch_up_contributions(self, s: Session, task: Task) -> None:
        """Record on-chain contributions a worker did not report (yet)."""
        for replicate in task.replicates:
            if replicate.contribution_hash or R(replicate.status).is_final():
                continue
            contribution = self.poco.view_contribution(task.chain_task_id, replicate.worker)
            if contribution.status in (ChainContributionStatus.CONTRIBUTED, ChainContributionStatus.PROVED):
                learn_contribution(self.poco, replicate, contribution.result_hash)
                # A worker still reporting will say CONTRIBUTED itself (recording it here too raced with its
                # report); only a silent worker's status is written by the pool manager.
                if R(replicate.status) in (R.RECOVERING, R.WORKER_LOST):
                    record_status(s, replicate, R.CONTRIBUTED, M.POOL_MANAGER)

    def _consensus_reached(self, s: Session, task: Task, chain: ChainTask) -> bool:
        self._catch_up_contributions(s, task)
        task.consensus = chain.consensus_value
        task.reveal_deadline = chain.reveal_deadline
        task.consensus_block = self.poco.task_event_block("TaskConsensus", task.chain_task_id,
                                                          task.initialization_block, latest=True) or 0
        self._set(s, task, T.CONSENSUS_REACHED, block=task.consensus_block)
        for replicate in task.replicates:
            if R(replicate.status).is_final() or R(replicate.status).is_aborted():
                continue
            if replicate.contribution_hash == chain.consensus_value:
                self.notify.publish(task.chain_task_id, N.PLEASE_REVEAL, worker=replicate.worker,
                                    extra={"blockNumber": task.consensus_block}, session=s)
            else:
                self.notify.publish(task.chain_task_id, N.PLEASE_ABORT, worker=replicate.worker,
                                    extra={"taskAbortCause": TaskAbortCause.CONSENSUS_REACHED.value}, session=s)
        return True

    def _revealed(self, task: Task) -> list[Replicate]:
        return [r for r in task.replicates if r.status == R.REVEALED.value]

    def _reveal_phase(self, s: Session, task: Task, chain: ChainTask) -> bool:
        if not self._revealed(task):
            return False
        if task.status == T.CONSENSUS_REACHED.value:
            self._set(s, task, T.AT_LEAST_ONE_REVEALED)
        return self._request_upload(s, task)

    def _request_upload(self, s: Session, task: Task) -> bool:
        candidates = self._revealed(task)
        if not candidates:
            return False
        chosen = self._random.choice(candidates)
        task.uploading_worker = chosen.worker
        record_status(s, chosen, R.RESULT_UPLOAD_REQUESTED, M.POOL_MANAGER)
        if task.status != T.RESULT_UPLOADING.value:
            self._set(s, task, T.RESULT_UPLOADING)
        self.notify.publish(task.chain_task_id, N.PLEASE_UPLOAD, worker=chosen.worker, session=s)
        return True

    def _upload_phase(self, s: Session, task: Task, chain: ChainTask) -> bool:
        uploader = next((r for r in task.replicates if r.worker == task.uploading_worker), None)
        if uploader is not None and uploader.status == R.RESULT_UPLOADED.value:
            task.result_link = self._result_link_of(task.chain_task_id)
            self._set(s, task, T.RESULT_UPLOADED)
            return True
        gone = (R.RESULT_UPLOAD_FAILED, R.RESULT_UPLOAD_REQUEST_FAILED, R.WORKER_LOST, R.FAILED)
        if uploader is None or R(uploader.status) in gone or R(uploader.status).is_aborted():
            return self._request_upload(s, task)
        return False

    def _finalize(self, s: Session, task: Task, chain: ChainTask) -> bool:
        now = self._now()
        enough = chain.reveal_counter == chain.winner_counter or (
            chain.reveal_counter > 0 and now >= chain.reveal_deadline)
        if chain.status is ChainTaskStatus.COMPLETED:
            task.result_digest = chain.result_digest
            self._set(s, task, T.FINALIZED, T.COMPLETED)
            self.notify.publish(task.chain_task_id, N.PLEASE_COMPLETE, session=s)
            return False
        if chain.status is not ChainTaskStatus.REVEALING or not enough:
            return False
        if task.status != T.FINALIZING.value:
            self._set(s, task, T.FINALIZING)
        s.commit()
        try:
            receipt = self.poco.finalize(task.chain_task_id, task.result_link.encode())
        except ChainError as e:
            log.error("finalize failed: %s [task=%s]", e, task.chain_task_id)
            task.status = T.RESULT_UPLOADED.value  # retried next pass until the final deadline
            return False
        task.result_digest = chain.result_digest
        self._set(s, task, T.FINALIZED, T.COMPLETED, tx_hash=receipt.tx_hash, block=receipt.block_number)
        self.notify.publish(task.chain_task_id, N.PLEASE_COMPLETE, session=s)
        return False


class EngineLoop:
    """Background thread: poll the chain, scan deals, step tasks; ``poke`` wakes it at once."""

    def __init__(self, engine: TaskEngine, scan: Callable[[], object], *, period_s: float,
                 detectors: DetectorSchedule | None = None):
        self.engine = engine
        self._scan = scan
        self._period_s = period_s
        #: Periodic detectors, run from this thread between passes (set before ``start``).
        self.detectors = detectors
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._poked: set[str] = set()
        self._poked_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="task-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def poke(self, chain_task_id: str) -> None:
        with self._poked_lock:
            self._poked.add(chain_task_id)
        self._wake.set()

    def _run(self) -> None:
        last_full = 0.0
        while not self._stop.is_set():
            with self._poked_lock:
                poked, self._poked = self._poked, set()
            try:
                if poked:
                    self.engine.step_all(only=poked)
                if time.monotonic() - last_full >= self._period_s:
                    last_full = time.monotonic()
                    self._scan()
                    self.engine.step_all()
            except ChainError as e:
                log.warning("chain not reachable, retrying: %s", e)
            except Exception:  # the loop must survive any bug in one pass; it is logged with its traceback
                log.exception("task engine pass failed")
            wait_s = self._period_s
            if self.detectors is not None:  # each detector logs its own failures (detectors/base.py)
                wait_s = min(wait_s, self.detectors.run_due())
            self._wake.wait(timeout=wait_s)  # a poke (also from a detector) sets it: no wait then
            self._wake.clear()
