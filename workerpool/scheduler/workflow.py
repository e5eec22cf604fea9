"""Replicate workflow, pure: which status may follow which, and what the worker should do next.

Follows spec/core-spec.md §6.2–6.3 (the code's transitions, not the stale JSON) in the seeds/001 vocabulary:
the worker confirms a replicate (RUNNING), reports the outcome of its checks before contributing
(CAN_CONTRIBUTE, CANT_CONTRIBUTE_SINCE_*, OUT_OF_GAS) and before revealing (CANT_REVEAL), may refuse an
upload (RESULT_UPLOAD_REQUEST_FAILED), and is aborted with a cause (ABORTED_ON_*). The modern shortcuts
(CREATED→STARTING, COMPUTED→CONTRIBUTING) stay valid, so a genuine iExec worker is served too.

Deliberate differences from §6.2: a status may be WORKER_LOST or RECOVERING more than once (§12.3);
CONTRIBUTE_FAILED / REVEAL_FAILED are recorded with their cause (the worker is then told to abort) instead of
being refused; WORKER_LOST and RECOVERING lead back to any status but CREATED; a replicate that said it could
not contribute may still be found CONTRIBUTED on chain (pool-manager catch-up, verified on chain).
"""

from __future__ import annotations

from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N

__all__ = ["can_transition", "next_action", "REPEATABLE", "COMPUTING_PHASE", "ABORTS", "CANT_CONTRIBUTE"]

#: The worker could not contribute, by cause (seeds/001).
CANT_CONTRIBUTE = frozenset({S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE,
                             S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE, S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET})
#: The worker stopped on the scheduler's request (with or without a known cause).
ABORTS = frozenset({S.ABORTED, S.ABORTED_ON_CONSENSUS_REACHED, S.ABORTED_ON_CONTRIBUTION_TIMEOUT})
_FINAL = frozenset({S.COMPLETED, S.FAILED})
_RESUMING = frozenset({S.WORKER_LOST, S.RECOVERING})

#: What a worker may report once its result (computed, or the error result of a failed download) is ready.
_CONTRIBUTE_GATE = {S.CAN_CONTRIBUTE, *CANT_CONTRIBUTE, S.OUT_OF_GAS, S.CONTRIBUTE_FAILED, S.CONTRIBUTING}
#: Said "cannot contribute" while the chain holds the contribution: the pool manager records CONTRIBUTED.
_CATCH_UP = {S.CONTRIBUTED}

_MAIN: dict[S, set[S]] = {
    S.CREATED: {S.RUNNING, S.STARTING},
    S.RUNNING: {S.STARTING},
    S.STARTING: {S.STARTED, S.START_FAILED},
    S.STARTED: {S.APP_DOWNLOADING},
    S.APP_DOWNLOADING: {S.APP_DOWNLOADED, S.APP_DOWNLOAD_FAILED},
    S.APP_DOWNLOAD_FAILED: _CONTRIBUTE_GATE,
    S.APP_DOWNLOADED: {S.DATA_DOWNLOADING},
    S.DATA_DOWNLOADING: {S.DATA_DOWNLOADED, S.DATA_DOWNLOAD_FAILED},
    S.DATA_DOWNLOAD_FAILED: _CONTRIBUTE_GATE,
    S.DATA_DOWNLOADED: {S.COMPUTING},
    S.COMPUTING: {S.COMPUTED, S.COMPUTE_FAILED},
    S.COMPUTED: _CONTRIBUTE_GATE | {S.CONTRIBUTE_AND_FINALIZE_ONGOING},
    S.CAN_CONTRIBUTE: {S.CONTRIBUTING, S.OUT_OF_GAS},
    S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE: _CATCH_UP,
    S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET: _CATCH_UP,
    S.CONTRIBUTING: {S.CONTRIBUTED, S.CONTRIBUTE_FAILED},
    S.CONTRIBUTE_FAILED: _CATCH_UP,
    S.CONTRIBUTED: {S.REVEALING, S.CANT_REVEAL, S.OUT_OF_GAS, S.REVEAL_FAILED, S.REVEAL_TIMEOUT},
    S.REVEALING: {S.REVEALED, S.REVEAL_FAILED, S.REVEAL_TIMEOUT},
    S.REVEALED: {S.RESULT_UPLOAD_REQUESTED, S.COMPLETING},
    # RESULT_UPLOAD_FAILED straight from REQUESTED: the scheduler fails an uploader that never started.
    S.RESULT_UPLOAD_REQUESTED: {S.RESULT_UPLOADING, S.RESULT_UPLOAD_REQUEST_FAILED, S.RESULT_UPLOAD_FAILED},
    S.RESULT_UPLOAD_REQUEST_FAILED: {S.COMPLETING},
    S.RESULT_UPLOADING: {S.RESULT_UPLOADED, S.RESULT_UPLOAD_FAILED},
    S.RESULT_UPLOAD_FAILED: {S.COMPLETING},
    S.RESULT_UPLOADED: {S.COMPLETING},
    S.CONTRIBUTE_AND_FINALIZE_ONGOING: {S.CONTRIBUTE_AND_FINALIZE_DONE, S.CONTRIBUTE_AND_FINALIZE_FAILED},
    S.CONTRIBUTE_AND_FINALIZE_DONE: {S.COMPLETING},
    S.COMPLETING: {S.COMPLETED, S.COMPLETE_FAILED},
}

#: Every status of the replicate's own progress (not final, not aborted, not lost/recovering).
_STEPS = frozenset(set(S) - _FINAL - ABORTS - _RESUMING)
#: Dead ends the worker is told to abort from: never handed back through recovery (§6.2, extended).
_NOT_RECOVERABLE = frozenset({S.START_FAILED, S.COMPUTE_FAILED, S.CONTRIBUTE_FAILED, S.REVEAL_FAILED,
                              S.COMPLETE_FAILED, *CANT_CONTRIBUTE, S.CANT_REVEAL, S.OUT_OF_GAS, S.REVEAL_TIMEOUT})
#: May be failed by the scheduler: CREATED…REVEAL_FAILED in enum order (§6.2), the one-shot path, the upload
#: steps (a stuck uploader), the dead ends and the aborted, lost or recovering replicates. Not REVEALED.
_FAILABLE = frozenset(
    {s for s in S if s.position <= S.REVEAL_FAILED.position}
    | {S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_FAILED, S.RESULT_UPLOAD_REQUESTED,
       S.RESULT_UPLOAD_REQUEST_FAILED, S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED, S.REVEAL_TIMEOUT, S.OUT_OF_GAS}
    | ABORTS | _RESUMING
)

#: Statuses that may appear several times in one replicate's history.
REPEATABLE = frozenset({S.WORKER_LOST, S.RECOVERING})

#: A replicate in one of these holds one of its worker's CPU slots (RUNNING included).
COMPUTING_PHASE = frozenset(s for s in S if s.position < S.COMPUTED.position and not s.is_failure())


def _targets(current: S) -> set[S]:
    if current in _FINAL:
        return set()
    if current in _RESUMING:
        return set(S) - {S.CREATED}
    if current in ABORTS:
        return {S.COMPLETED, S.FAILED, S.WORKER_LOST}
    targets = set(_MAIN.get(current, set())) | ABORTS | {S.WORKER_LOST}
    if current in _FAILABLE:
        targets.add(S.FAILED)
    if current not in _NOT_RECOVERABLE:
        targets.add(S.RECOVERING)
    return targets


def can_transition(current: S, new: S) -> bool:
    """May a replicate whose current status is ``current`` move to ``new``?"""
    return new in _targets(current)


_DEFAULT_NEXT: dict[S, N] = {
    S.STARTED: N.PLEASE_DOWNLOAD_APP,
    S.APP_DOWNLOADED: N.PLEASE_DOWNLOAD_DATA,
    S.DATA_DOWNLOADED: N.PLEASE_COMPUTE,
    S.COMPUTED: N.PLEASE_CONTRIBUTE,
}
_CONTRIBUTE_ON_FAILURE = {
    S.APP_DOWNLOAD_FAILED: {C.APP_IMAGE_DOWNLOAD_FAILED},
    S.DATA_DOWNLOAD_FAILED: {C.DATASET_FILE_DOWNLOAD_FAILED, C.DATASET_FILE_BAD_CHECKSUM,
                             C.INPUT_FILES_DOWNLOAD_FAILED},
}
#: The worker goes on by itself (CAN_CONTRIBUTE: it reports CONTRIBUTING next).
_ONGOING = {S.RUNNING, S.STARTING, S.APP_DOWNLOADING, S.DATA_DOWNLOADING, S.COMPUTING, S.CAN_CONTRIBUTE,
            S.CONTRIBUTING, S.REVEALING, S.RESULT_UPLOADING, S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.COMPLETING}
_WAITING = {S.CONTRIBUTED, S.REVEALED, S.RESULT_UPLOADED, S.CONTRIBUTE_AND_FINALIZE_DONE, S.COMPLETED}
#: Failures answered with nothing: the scheduler re-elects an uploader; REVEAL_TIMEOUT is its own decision.
_SILENT_FAILURES = {S.FAILED, S.RESULT_UPLOAD_REQUEST_FAILED, S.REVEAL_TIMEOUT}


def next_action(status: S, cause: C | None = None, *, contribute_and_finalize: bool = False) -> N | None:
    """What the worker does after reporting ``status`` (with ``cause``); None = nothing."""
    if status is S.COMPUTED and contribute_and_finalize:
        return N.PLEASE_CONTRIBUTE_AND_FINALIZE
    if status in _CONTRIBUTE_ON_FAILURE:
        return N.PLEASE_CONTRIBUTE if cause in _CONTRIBUTE_ON_FAILURE[status] else N.PLEASE_ABORT
    if status in _DEFAULT_NEXT:
        return _DEFAULT_NEXT[status]
    if status in _ONGOING:
        return N.PLEASE_CONTINUE
    if status in _WAITING:
        return N.PLEASE_WAIT
    if status.is_failure() and status not in _SILENT_FAILURES:  # *_FAILED, CANT_*, OUT_OF_GAS
        return N.PLEASE_ABORT
    return None
