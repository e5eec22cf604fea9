"""One replicate's life on the worker: a thread per task handling its notifications in order.

For each notification: report the "ongoing" status, run the action, report the outcome with its cause;
the scheduler's answer is the next action (worker-spec §4). Handling one task on one thread fixes the
iExec worker's race between an abort and a running action (§4.2).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from workerpool.common.authorization import WorkerpoolAuthorization, recover_authorization_signer
from workerpool.common.errors import ChainError, SchedulerError
from workerpool.common.messages import ReplicateStatusDetails, ReplicateStatusUpdate, TaskNotification
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N

from . import actions
from .actions import Outcome, ReplicateState
from .context import WorkerContext
from .description import load_description

__all__ = ["TaskRunner", "HANDLERS"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handler:
    ongoing: S | None
    action: Callable[[WorkerContext, ReplicateState], Outcome]
    done: S
    failed: S | None


HANDLERS: dict[N, Handler] = {
    N.PLEASE_START: Handler(S.STARTING, actions.start, S.STARTED, S.START_FAILED),
    N.PLEASE_DOWNLOAD_APP: Handler(S.APP_DOWNLOADING, actions.download_app, S.APP_DOWNLOADED, S.APP_DOWNLOAD_FAILED),
    N.PLEASE_DOWNLOAD_DATA: Handler(S.DATA_DOWNLOADING, actions.download_data, S.DATA_DOWNLOADED,
                                    S.DATA_DOWNLOAD_FAILED),
    N.PLEASE_COMPUTE: Handler(S.COMPUTING, actions.compute, S.COMPUTED, S.COMPUTE_FAILED),
    N.PLEASE_CONTRIBUTE: Handler(S.CONTRIBUTING, actions.contribute, S.CONTRIBUTED, S.CONTRIBUTE_FAILED),
    N.PLEASE_REVEAL: Handler(S.REVEALING, actions.reveal, S.REVEALED, S.REVEAL_FAILED),
    N.PLEASE_UPLOAD: Handler(S.RESULT_UPLOADING, actions.upload, S.RESULT_UPLOADED, S.RESULT_UPLOAD_FAILED),
    N.PLEASE_COMPLETE: Handler(S.COMPLETING, actions.complete, S.COMPLETED, S.COMPLETE_FAILED),
    N.PLEASE_ABORT: Handler(None, actions.abort, S.ABORTED, None),
}
_ENDS = {S.COMPLETED, S.ABORTED}


class TaskRunner:
    def __init__(self, ctx: WorkerContext, state: ReplicateState, *, on_end: Callable[[str], None]):
        self.ctx = ctx
        self.state = state
        self._on_end = on_end
        self._queue: queue.Queue[TaskNotification | None] = queue.Queue()
        self.computing = True  # holds a CPU slot until COMPUTED or an early failure
        self.finished = False
        self._thread = threading.Thread(target=self._run, name=f"task-{state.chain_task_id[:10]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, notification: TaskNotification) -> None:
        self._queue.put(notification)

    def stop(self) -> None:
        self._queue.put(None)

    # ---- loop ----------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self.finished:
                notification = self._queue.get()
                if notification is None:
                    return
                self._handle_chain(notification)
        except Exception:  # one task's bug must never take the worker down; logged with its traceback
            log.exception("task runner crashed %s", self.state.ids())
        finally:
            self.computing = False
            self._on_end(self.state.chain_task_id)

    def _handle_chain(self, notification: TaskNotification) -> None:
        if not self._accept_extra(notification):
            return
        kind: N | None = notification.task_notification_type
        abort_cause = (notification.task_notification_extra.task_abort_cause
                       if notification.task_notification_extra else None)
        while kind is not None and not self.finished:
            kind = self._handle(kind, abort_cause)
            abort_cause = None

    def _accept_extra(self, notification: TaskNotification) -> bool:
        extra = notification.task_notification_extra
        if extra is None or extra.workerpool_authorization is None:
            return True
        try:
            auth = WorkerpoolAuthorization.from_json(extra.workerpool_authorization)
        except (KeyError, ValueError) as e:
            log.error("malformed authorization dropped (%s) %s", e, self.state.ids())
            return False
        signer = recover_authorization_signer(auth)
        if signer != self.ctx.pool_owner or auth.worker_wallet != self.ctx.wallet:
            log.error("authorization not signed by the pool owner %s (signer %s): dropped %s",
                      self.ctx.pool_owner, signer, self.state.ids())
            return False
        self.state.authorization = auth
        return True

    def _ensure_description(self) -> None:
        if self.state.description is None:
            try:
                self.state.description = load_description(self.ctx.poco, self.state.chain_task_id)
            except ChainError as e:
                log.warning("cannot read the task on chain yet: %s %s", e, self.state.ids())

    def _handle(self, kind: N, abort_cause: object) -> N | None:
        handler = HANDLERS.get(kind)
        if handler is None:  # PLEASE_WAIT, PLEASE_CONTINUE
            return None
        self._ensure_description()
        log.info("%s %s", kind.value, self.state.ids())
        if handler.ongoing is not None:
            self._report(handler.ongoing, None)
        outcome = handler.action(self.ctx, self.state)
        if kind is N.PLEASE_ABORT:
            cause = C(abort_cause.value) if abort_cause is not None else C.UNKNOWN  # type: ignore[attr-defined]
            outcome.details.cause = cause
        status = handler.done if outcome.ok or handler.failed is None else handler.failed
        if status in (S.COMPUTED,) or status.is_failed_before_computed():
            self.computing = False
        next_kind = self._report(status, outcome.details)
        if status in _ENDS:
            self.finished = True
            self.ctx.metrics.replicates.labels(status.value).inc()
        return next_kind

    def _report(self, status: S, details: ReplicateStatusDetails | None) -> N | None:
        """Send a status until the scheduler answers (backoff 1→5 s), or the final deadline passes."""
        update = ReplicateStatusUpdate(status=status, details=details)
        delay_s = 1.0
        while True:
            try:
                code, answer = self.ctx.client.update_status(self.state.chain_task_id, update)
            except SchedulerError as e:
                if self._past_final_deadline():
                    log.error("giving up reporting %s after the final deadline %s", status.value, self.state.ids())
                    return None
                log.warning("status %s not delivered (%s), retrying in %.0f s %s", status.value, e, delay_s,
                            self.state.ids())
                time.sleep(delay_s)
                delay_s = min(delay_s * 2, 5.0)
                continue
            if code == 404:
                log.error("scheduler does not know this replicate: %s %s", answer.reason, self.state.ids())
                self.finished = status not in _ENDS or self.finished
            elif code >= 400:
                log.error("status %s refused (%d): %s %s", status.value, code, answer.reason, self.state.ids())
            return answer.next_action

    def _past_final_deadline(self) -> bool:
        # Unknown description counts as "reached": never spin forever (worker-spec §12.1).
        d = self.state.description
        return d is None or d.final_deadline_s <= self.ctx.clock()
