"""The worker's actions on one replicate; each returns an Outcome (a value, never an exception for an
expected failure). Order and causes follow worker-spec §4.3, §5, §6; the on-chain steps (contribute, reveal)
live in :mod:`workerpool.worker.contribution`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from workerpool.common.authorization import WorkerpoolAuthorization
from workerpool.common.errors import ChainError, SchedulerError
from workerpool.common.messages import ComputeLogs, ReplicateStatusDetails, TaskNotificationExtra
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskAbortCause
from workerpool.compute.app import AppTask, run_app
from workerpool.compute.computed import read_computed
from workerpool.compute.layout import TaskDirs
from workerpool.compute.results import computed_digest, post_compute, write_error_result

from .checks import ContributionFacts, cannot_contribute_causes
from .context import WorkerContext
from .description import TaskDescription

__all__ = ["Outcome", "ReplicateState", "chain_causes", "restore_digest", "start", "download_app",
           "download_data", "compute", "upload_check", "upload", "complete", "abort"]

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What an action or a check came to. ``status`` overrides the handler's done/failed status (a check's
    CANT_* or OUT_OF_GAS, an abort's ABORTED_ON_*)."""

    ok: bool
    cause: C | None = None
    details: ReplicateStatusDetails = field(default_factory=ReplicateStatusDetails)
    status: S | None = None

    @classmethod
    def success(cls, *, status: S | None = None, **details: Any) -> Outcome:
        return cls(True, None, ReplicateStatusDetails(**details), status)

    @classmethod
    def failure(cls, cause: C, message: str = "", *, status: S | None = None, **details: Any) -> Outcome:
        return cls(False, cause, ReplicateStatusDetails(cause=cause, error_message=message or None, **details),
                   status)


@dataclass
class ReplicateState:
    """One task as this worker knows it; touched only by the task's runner thread."""

    chain_task_id: str
    dirs: TaskDirs
    wallet: str = ""
    authorization: WorkerpoolAuthorization | None = None
    description: TaskDescription | None = None
    digest: str | None = None
    #: extra of the notification being handled (None for a locally chained one)
    extra: TaskNotificationExtra | None = None

    def ids(self) -> str:
        return f"[task={self.chain_task_id} worker={self.wallet}]"


def chain_causes(ctx: WorkerContext, st: ReplicateState) -> list[C]:
    """Every reason not to go on with this task, read from the chain once (worker-spec 5.0), in order."""
    try:
        task = ctx.poco.view_task(st.chain_task_id)
        stake, _ = ctx.poco.view_account(ctx.wallet)
    except ChainError:
        return cannot_contribute_causes(ContributionFacts(st.authorization is not None, False, None, 0, 0, False,
                                                          0, 0))
    worker_stake = st.description.deal.worker_stake if st.description else 0
    deadline = st.description.contribution_deadline_s if st.description else task.contribution_deadline
    return cannot_contribute_causes(ContributionFacts(
        has_authorization=st.authorization is not None, chain_reachable=True, task_status=task.status,
        contribution_deadline_s=deadline, now_s=ctx.clock(), already_contributed=task.has_contribution_from(ctx.wallet),
        stake_nrlc=stake, worker_stake_nrlc=worker_stake))


def _preflight(ctx: WorkerContext, st: ReplicateState) -> Outcome | None:
    causes = chain_causes(ctx, st)
    if causes:
        log.warning("cannot contribute: %s %s", ", ".join(c.value for c in causes), st.ids())
        return Outcome.failure(causes[0], "; ".join(c.value for c in causes))
    return None


def start(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    if st.description is None:
        return Outcome.failure(C.TASK_NOT_ACTIVE, "the task is not initialized on chain")
    if st.description.deal.is_tee:
        return Outcome.failure(C.TASK_DESCRIPTION_INVALID, "TEE tasks are not supported by this worker")
    return _preflight(ctx, st) or Outcome.success()


def _error_result(st: ReplicateState, status: str, cause: C, message: str) -> Outcome:
    """Turn a download failure into a contributable error result (worker-spec 5.3)."""
    write_error_result(st.dirs, status, [f"{cause.value}: {message}"])
    outcome = post_compute(st.dirs)
    if outcome.digest is None:
        return Outcome.failure(C.POST_COMPUTE_FAILED_UNKNOWN_ISSUE, message)
    st.digest = outcome.digest
    return Outcome.failure(cause, message)


def download_app(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    if (problem := _preflight(ctx, st)) is not None:
        return problem
    assert st.description is not None
    if st.description.app_type != "DOCKER" or not st.description.image:
        return _error_result(st, "APP_DOWNLOAD_FAILED", C.APP_IMAGE_DOWNLOAD_FAILED, "the app is not a Docker image")
    timeout_s = ctx.settings.pull_timeout_s(st.description.max_execution_time_s)
    pull = ctx.runtime.pull_image(st.description.image, timeout_s=timeout_s)
    if not pull.ok:
        log.error("cannot get image %s: %s %s", st.description.image, pull.message, st.ids())
        return _error_result(st, "APP_DOWNLOAD_FAILED", C.APP_IMAGE_DOWNLOAD_FAILED, pull.message)
    return Outcome.success()


def download_data(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    assert st.description is not None
    if st.description.has_dataset:
        return _error_result(st, "DATA_DOWNLOAD_FAILED", C.DATASET_FILE_DOWNLOAD_FAILED,
                             "datasets are not supported yet by this worker")
    if st.description.deal.param("iexec_input_files") not in ("", "[]"):
        return _error_result(st, "DATA_DOWNLOAD_FAILED", C.INPUT_FILES_DOWNLOAD_FAILED,
                             "input files are not supported yet by this worker")
    return Outcome.success()


def compute(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    if (problem := _preflight(ctx, st)) is not None:
        return problem
    d = st.description
    assert d is not None
    task = AppTask(chain_task_id=st.chain_task_id, deal_id=d.deal_id, task_index=d.task_index,
                   bot_first=d.deal.bot_first, bot_size=d.deal.bot_size, image=d.image, args=d.args,
                   max_execution_time_s=d.max_execution_time_s)
    app = run_app(ctx.runtime, task, st.dirs, worker_name=ctx.settings.worker_name)
    ctx.metrics.add_duration("appCompute", app.duration_s)
    if app.cause is not None and app.cause is C.APP_NOT_FOUND_LOCALLY:
        return Outcome.failure(app.cause, "the app image vanished after download")
    if app.cause is not None and read_computed(st.dirs.iexec_out / "computed.json") is None:
        # The failure itself becomes the result, so the requester learns why (worker-spec §11.1, #668).
        write_error_result(st.dirs, "COMPUTE_FAILED", [f"{app.cause.value}: exit code {app.exit_code}"])
    post = post_compute(st.dirs, has_callback=d.deal.has_callback)
    logs = ComputeLogs(stdout=app.stdout, stderr=app.stderr)
    if post.digest is None:
        return Outcome(True, None, ReplicateStatusDetails(cause=post.cause or app.cause, exit_code=app.exit_code,
                                                          compute_logs=logs))
    st.digest = post.digest
    return Outcome(True, None, ReplicateStatusDetails(cause=app.cause, exit_code=app.exit_code, compute_logs=logs,
                                                      result_digest=post.digest))


def restore_digest(st: ReplicateState) -> str | None:
    """The digest of a result computed before a restart (None when there is none)."""
    computed = read_computed(st.dirs.computed_json)
    if computed is None or not st.dirs.zip_path.is_file():
        return None
    has_callback = st.description.deal.has_callback if st.description else False
    return computed_digest(st.dirs, computed, has_callback=has_callback)


def upload_check(ctx: WorkerContext, st: ReplicateState) -> Outcome | None:
    """No result to upload: refuse the request at once (seeds/001 RESULT_UPLOAD_REQUEST_FAILED)."""
    if st.dirs.zip_path.is_file():
        return None
    log.error("asked to upload but holds no result zip %s", st.ids())
    return Outcome.failure(C.RESULT_LINK_MISSING, "no result zip to upload", status=S.RESULT_UPLOAD_REQUEST_FAILED)


def upload(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    try:
        link = ctx.client.upload_result(st.chain_task_id, st.dirs.zip_path.read_bytes())
    except SchedulerError as e:
        return Outcome.failure(C.RESULT_LINK_MISSING, str(e))
    return Outcome.success(result_link=link)


def complete(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    st.dirs.remove()
    return Outcome.success() if not st.dirs.task_dir.exists() else Outcome.failure(C.UNKNOWN, "folder not removed")


_ABORTED_ON: dict[TaskAbortCause | None, tuple[S, C]] = {
    TaskAbortCause.CONSENSUS_REACHED: (S.ABORTED_ON_CONSENSUS_REACHED, C.CONSENSUS_REACHED),
    TaskAbortCause.CONTRIBUTION_TIMEOUT: (S.ABORTED_ON_CONTRIBUTION_TIMEOUT, C.CONTRIBUTION_TIMEOUT),
}


def abort(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    """Stop the task's containers and delete its folder; the status names the scheduler's cause (seeds/001)."""
    stopped = ctx.runtime.stop_containers(st.chain_task_id)
    st.dirs.remove()
    abort_cause = st.extra.task_abort_cause if st.extra else None
    status, cause = _ABORTED_ON.get(abort_cause, (S.ABORTED, C.UNKNOWN))
    log.info("aborted (%s, %d container(s) stopped) %s", cause.value, stopped, st.ids())
    return Outcome.success(status=status, cause=cause)
