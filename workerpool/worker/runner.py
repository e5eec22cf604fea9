"""One replicate's life on the worker: a thread per task handling its notifications in order.

For each notification: run the handler's checks (a failed check is reported with its seeds/001 status:
CANT_CONTRIBUTE_SINCE_*, OUT_OF_GAS, CANT_REVEAL, RESULT_UPLOAD_REQUEST_FAILED), report the "ready" status
(RUNNING, CAN_CONTRIBUTE) and the "ongoing" one, run the action, report the outcome with its cause; the
scheduler's answer is the next action (worker-spec §4). Handling one task on one thread, plus
:meth:`TaskRunner.interrupt` for an abort that arrives mid-action, fixes the iExec worker's race between an
abort and a running action (§4.2).
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
from workerpool.common.messages import (
    ReplicateStatusDetails,
    ReplicateStatusUpdate,
    TaskNotification,
    TaskNotificationExtra,
)
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N

from . import actions, contribution
from .actions import Outcome, ReplicateState
from .context import WorkerContext
from .description import load_description

__all__ = ["TaskRunner", "HANDLERS"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Stop:
    """The scheduler did not answer PLEASE_CONTINUE to a ``ready`` status: follow its answer instead."""

    answer: N | None


#: An action's guard: None to go on, else the Outcome to report instead of acting.
Check = Callable[[WorkerContext, ReplicateState], Outcome | None]


@dataclass(frozen=True)
class Handler:
    """How one notification is handled: ``check`` → ``ready`` → gas → ``ongoing`` → ``action`` → done/failed."""

    ongoing: S | None
    action: Callable[[WorkerContext, ReplicateState], Outcome]
    done: S
    failed: S | None
    #: runs first; an Outcome is reported (its status, else ``failed``) and the action is skipped
    check: Check | None = None
    #: reported once the check passed; the worker goes on only if the scheduler answers PLEASE_CONTINUE
    ready: S | None = None
    #: the action sends a transaction: OUT_OF_GAS when the wallet cannot pay one
    pays_gas: bool = False


HANDLERS: dict[N, Handler] = {
    N.PLEASE_START: Handler(S.STARTING, actions.start, S.STARTED, S.START_FAILED, ready=S.RUNNING),
    N.PLEASE_DOWNLOAD_APP: Handler(S.APP_DOWNLOADING, actions.download_app, S.APP_DOWNLOADED, S.APP_DOWNLOAD_FAILED),
    N.PLEASE_DOWNLOAD_DATA: Handler(S.DATA_DOWNLOADING, actions.download_data, S.DATA_DOWNLOADED,
                                    S.DATA_DOWNLOAD_FAILED),
    N.PLEASE_COMPUTE: Handler(S.COMPUTING, actions.compute, S.COMPUTED, S.COMPUTE_FAILED),
    N.PLEASE_CONTRIBUTE: Handler(S.CONTRIBUTING, contribution.contribute, S.CONTRIBUTED, S.CONTRIBUTE_FAILED,
                                 check=contribution.contribute_check, ready=S.CAN_CONTRIBUTE, pays_gas=True),
    N.PLEASE_REVEAL: Handler(S.REVEALING, contribution.reveal, S.REVEALED, S.REVEAL_FAILED,
                             check=contribution.reveal_check, pays_gas=True),
    N.PLEASE_UPLOAD: Handler(S.RESULT_UPLOADING, actions.upload, S.RESULT_UPLOADED, S.RESULT_UPLOAD_FAILED,
                             check=actions.upload_check),
    N.PLEASE_COMPLETE: Handler(S.COMPLETING, actions.complete, S.COMPLETED, S.COMPLETE_FAILED),
    N.PLEASE_ABORT: Handler(None, actions.abort, S.ABORTED, None),
}
_ENDS = {S.COMPLETED, S.ABORTED, S.ABORTED_ON_CONSENSUS_REACHED, S.ABORTED_ON_CONTRIBUTION_TIMEOUT}


class TaskRunner:
    def __init__(self, ctx: WorkerContext, state: ReplicateState, *, on_end: Callable[[str], None]):
        self.ctx = ctx
        self.state = state
        self._on_end = on_end
        self._queue: queue.Queue[TaskNotification | None] = queue.Queue()
        self.computing = True  # holds a CPU slot until COMPUTED or an early failure
        self.finished = False
        #: handling a notification right now (its action may block for minutes: compute, a receipt)
        self.busy = False
        #: a PLEASE_ABORT is queued: finish nothing else before it
        self._abort_pending = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"task-{state.chain_task_id[:10]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, notification: TaskNotification) -> None:
        self._queue.put(notification)

    def interrupt(self) -> None:
        """A PLEASE_ABORT is about to be submitted: stop the task's containers now if an action runs.

        The runner thread may be blocked in the app container; stopping it makes that step return, its outcome
        is dropped and the queued abort is handled next (fixes the abort/action race of worker-spec §4.2).
        """
        self._abort_pending.set()
        if self.busy:
            # The container may not exist yet (the step is about to start it): keep stopping until the step ends.
            threading.Thread(target=self._stop_until_idle, name=f"abort-{self.state.chain_task_id[:10]}",
                             daemon=True).start()

    def _stop_until_idle(self, period_s: float = 0.5, limit_s: float = 120.0) -> None:
        deadline = time.monotonic() + limit_s
        stopped = 0
        while self.busy and self._abort_pending.is_set() and time.monotonic() < deadline:
            stopped += self.ctx.runtime.stop_containers(self.state.chain_task_id)
            time.sleep(period_s)
        log.warning("abort requested while busy: %d container(s) stopped %s", stopped, self.state.ids())

    def stop(self) -> None:
        self._queue.put(None)

    # ---- loop ----------------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self.finished:
                notification = self._queue.get()
                if notification is None:
                    return
                self.handle(notification)
        except Exception:  # one task's bug must never take the worker down; logged with its traceback
            log.exception("task runner crashed %s", self.state.ids())
        finally:
            self.computing = False
            self._on_end(self.state.chain_task_id)

    def handle(self, notification: TaskNotification) -> None:
        """Handle one notification and the actions the scheduler chains to it, on the caller's thread."""
        self.busy = True
        try:
            self._handle_chain(notification)
        finally:
            self.busy = False

    def _handle_chain(self, notification: TaskNotification) -> None:
        if not self._accept_extra(notification):
            return
        kind: N | None = notification.task_notification_type
        extra = notification.task_notification_extra
        if kind is N.PLEASE_ABORT:
            self._abort_pending.clear()
        while kind is not None and not self.finished and not self._aborting(kind):
            kind = self._handle(kind, extra)
            extra = None  # the scheduler's answers carry no extra: a chained PLEASE_ABORT has cause UNKNOWN

    def _aborting(self, kind: N) -> bool:
        """An abort is queued: drop ``kind`` (the queued abort carries the scheduler's cause)."""
        if not self._abort_pending.is_set():
            return False
        log.info("%s dropped: an abort is queued %s", kind.value, self.state.ids())
        return True

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

    def _handle(self, kind: N, extra: TaskNotificationExtra | None) -> N | None:
        handler = HANDLERS.get(kind)
        if handler is None:  # PLEASE_WAIT, PLEASE_CONTINUE
            return None
        self._ensure_description()
        self.state.extra = extra
        log.info("%s %s", kind.value, self.state.ids())
        gate = self._gate(handler)
        if gate is not None:
            return self._finish(handler, gate) if isinstance(gate, Outcome) else gate.answer
        if handler.ongoing is not None:
            self._report(handler.ongoing, None)
        try:
            outcome = handler.action(self.ctx, self.state)
        except Exception as e:  # an unexpected fault (Docker gone, disk full...) ends the step, reported
            log.exception("%s failed unexpectedly %s", kind.value, self.state.ids())
            outcome = Outcome.failure(C.UNKNOWN, f"{e.__class__.__name__}: {e}")
        if kind is not N.PLEASE_ABORT and self._aborting(kind):
            return None  # interrupted: the outcome of a step the scheduler cancelled is not reported
        return self._finish(handler, outcome)

    def _gate(self, handler: Handler) -> Outcome | _Stop | None:
        """Check, ``ready`` status, gas: an Outcome to report instead of acting, a _Stop, or None to act."""
        problem = handler.check(self.ctx, self.state) if handler.check is not None else None
        if problem is not None:
            return problem
        if handler.ready is not None:
            answer = self._report(handler.ready, None)
            if answer is not N.PLEASE_CONTINUE:
                log.info("%s answered %s: not going on %s", handler.ready.value, answer and answer.value,
                         self.state.ids())
                return _Stop(answer)
        return contribution.funds_check(self.ctx, self.state) if handler.pays_gas else None

    def _finish(self, handler: Handler, outcome: Outcome) -> N | None:
        status = outcome.status or (handler.done if outcome.ok or handler.failed is None else handler.failed)
        if status is S.COMPUTED or status.is_failed_before_computed():
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
