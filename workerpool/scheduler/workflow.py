"""Replicate workflow, pure: which status may follow which, and what the worker should do next.

Follows spec/core-spec.md §6.2–6.3 (the code's transitions, not the stale JSON) with two fixes: a status may
be WORKER_LOST or RECOVERING more than once (§12.3), and CONTRIBUTE_FAILED / REVEAL_FAILED are recorded with
their cause (the worker is then told to abort) instead of being refused.
"""

from __future__ import annotations

from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N

__all__ = ["can_transition", "next_action", "REPEATABLE", "COMPUTING_PHASE"]

_MAIN: dict[S, set[S]] = {
    S.CREATED: {S.STARTING},
    S.STARTING: {S.STARTED, S.START_FAILED},
    S.STARTED: {S.APP_DOWNLOADING},
    S.APP_DOWNLOADING: {S.APP_DOWNLOADED, S.APP_DOWNLOAD_FAILED},
    S.APP_DOWNLOAD_FAILED: {S.CONTRIBUTING},
    S.APP_DOWNLOADED: {S.DATA_DOWNLOADING},
    S.DATA_DOWNLOADING: {S.DATA_DOWNLOADED, S.DATA_DOWNLOAD_FAILED},
    S.DATA_DOWNLOAD_FAILED: {S.CONTRIBUTING},
    S.DATA_DOWNLOADED: {S.COMPUTING},
    S.COMPUTING: {S.COMPUTED, S.COMPUTE_FAILED},
    S.COMPUTED: {S.CONTRIBUTING, S.CONTRIBUTE_AND_FINALIZE_ONGOING},
    S.CONTRIBUTING: {S.CONTRIBUTED, S.CONTRIBUTE_FAILED},
    S.CONTRIBUTED: {S.REVEALING},
    S.REVEALING: {S.REVEALED, S.REVEAL_FAILED},
    S.REVEALED: {S.RESULT_UPLOAD_REQUESTED, S.COMPLETING},
    S.RESULT_UPLOAD_REQUESTED: {S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED},
    S.RESULT_UPLOADING: {S.RESULT_UPLOADED, S.RESULT_UPLOAD_FAILED},
    S.RESULT_UPLOAD_FAILED: {S.COMPLETING},
    S.RESULT_UPLOADED: {S.COMPLETING},
    S.CONTRIBUTE_AND_FINALIZE_ONGOING: {S.CONTRIBUTE_AND_FINALIZE_DONE, S.CONTRIBUTE_AND_FINALIZE_FAILED},
    S.CONTRIBUTE_AND_FINALIZE_DONE: {S.COMPLETING},
    S.COMPLETING: {S.COMPLETED, S.COMPLETE_FAILED},
}

_WORKFLOW = [s for s in S if s.position <= S.COMPLETED.position]
_NON_FINAL_WORKFLOW = [s for s in _WORKFLOW if not s.is_final()]

#: Statuses that may appear several times in one replicate's history.
REPEATABLE = frozenset({S.WORKER_LOST, S.RECOVERING})

#: A replicate in one of these holds one of its worker's CPU slots.
COMPUTING_PHASE = frozenset(s for s in S if s.position < S.COMPUTED.position and not s.is_failure())


def _targets(current: S) -> set[S]:
    targets = set(_MAIN.get(current, set()))
    if current.position <= S.REVEAL_FAILED.position or current in (
        S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_FAILED, S.ABORTED, S.WORKER_LOST,
        S.RECOVERING, S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED,
    ):
        targets.add(S.FAILED)
    if current in _NON_FINAL_WORKFLOW or current in (S.RECOVERING, S.ABORTED, S.WORKER_LOST):
        targets.add(S.WORKER_LOST)
    if current in _NON_FINAL_WORKFLOW or current in (S.RECOVERING, S.WORKER_LOST):
        targets.add(S.ABORTED)
        targets.add(S.RECOVERING)
    if current in (S.WORKER_LOST, S.RECOVERING):
        targets.update(s for s in _WORKFLOW if s not in (S.CREATED, S.STARTING))
    if current is S.ABORTED:
        targets.update({S.COMPLETED})
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
_ONGOING = {S.STARTING, S.APP_DOWNLOADING, S.DATA_DOWNLOADING, S.COMPUTING, S.CONTRIBUTING, S.REVEALING,
            S.RESULT_UPLOADING, S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.COMPLETING}
_WAITING = {S.CONTRIBUTED, S.REVEALED, S.RESULT_UPLOADED, S.CONTRIBUTE_AND_FINALIZE_DONE, S.COMPLETED}


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
    if status.is_failure() and status is not S.FAILED:
        return N.PLEASE_ABORT
    return None
