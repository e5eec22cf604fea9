"""The pool's vocabulary: status order (core-spec §4.1, §6.1), failure predicates, seeds/001 names."""

from __future__ import annotations

import pytest

from workerpool.common.statuses import (
    ChainContributionStatus,
    ChainTaskStatus,
    ReplicateStatus,
    ReplicateStatusCause,
    TaskAbortCause,
    TaskStatus,
)

S = ReplicateStatus


def _names(text: str) -> list[str]:
    return text.split()


#: core-spec §6.1, in enum order (ordinals are compared).
SPEC_REPLICATE_ORDER = _names("""CREATED STARTING START_FAILED STARTED APP_DOWNLOADING APP_DOWNLOAD_FAILED
APP_DOWNLOADED
DATA_DOWNLOADING DATA_DOWNLOAD_FAILED DATA_DOWNLOADED COMPUTING COMPUTE_FAILED COMPUTED CONTRIBUTING
CONTRIBUTE_FAILED CONTRIBUTED REVEALING REVEAL_FAILED REVEALED RESULT_UPLOAD_REQUESTED RESULT_UPLOADING
RESULT_UPLOAD_FAILED RESULT_UPLOADED CONTRIBUTE_AND_FINALIZE_ONGOING CONTRIBUTE_AND_FINALIZE_FAILED
CONTRIBUTE_AND_FINALIZE_DONE COMPLETING COMPLETE_FAILED COMPLETED FAILED ABORTED RECOVERING WORKER_LOST""")

#: The replicate statuses listed by seeds/001 ("Statuses of Replicates", an older worker's vocabulary).
SEED_001_STATUSES = _names("""CREATED RUNNING APP_DOWNLOADING APP_DOWNLOADED APP_DOWNLOAD_FAILED DATA_DOWNLOADING
DATA_DOWNLOADED DATA_DOWNLOAD_FAILED COMPUTING COMPUTED COMPUTE_FAILED CAN_CONTRIBUTE
CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE
CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET CONTRIBUTING CONTRIBUTE_FAILED CONTRIBUTED CANT_REVEAL REVEALING
REVEALED REVEAL_FAILED RESULT_UPLOAD_REQUESTED RESULT_UPLOAD_REQUEST_FAILED RESULT_UPLOADING RESULT_UPLOADED
RESULT_UPLOAD_FAILED COMPLETED REVEAL_TIMEOUT WORKER_LOST ABORTED_ON_CONSENSUS_REACHED
ABORTED_ON_CONTRIBUTION_TIMEOUT FAILED OUT_OF_GAS RECOVERING""")

#: Seed names our enum does not carry, and where the modern vocabulary (core-spec §6.1) put each meaning.
SEED_NAMES_MAPPED_ELSEWHERE = {
    "RUNNING": "STARTING/STARTED",
    "CAN_CONTRIBUTE": "(no status: the worker goes COMPUTED -> CONTRIBUTING)",
    "CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW": "CONTRIBUTE_FAILED + cause STAKE_TOO_LOW",
    "CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE": "CONTRIBUTE_FAILED + cause TASK_NOT_ACTIVE",
    "CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE": "CONTRIBUTE_FAILED + cause CONTRIBUTION_TIMEOUT",
    "CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET": "CONTRIBUTE_FAILED + cause CONTRIBUTION_ALREADY_SET",
    "CANT_REVEAL": "REVEAL_FAILED + cause CANNOT_REVEAL",
    "RESULT_UPLOAD_REQUEST_FAILED": "(no status: RESULT_UPLOAD_FAILED)",
    "REVEAL_TIMEOUT": "cause REVEAL_TIMEOUT",
    "ABORTED_ON_CONSENSUS_REACHED": "ABORTED + TaskAbortCause.CONSENSUS_REACHED",
    "ABORTED_ON_CONTRIBUTION_TIMEOUT": "ABORTED + TaskAbortCause.CONTRIBUTION_TIMEOUT",
    "OUT_OF_GAS": "cause OUT_OF_GAS",
}


def test_replicate_status_order_is_the_spec_order() -> None:
    assert [s.value for s in ReplicateStatus] == SPEC_REPLICATE_ORDER
    assert [s.position for s in ReplicateStatus] == list(range(len(SPEC_REPLICATE_ORDER)))
    assert all(s.name == s.value for s in ReplicateStatus)


def test_task_status_order_is_the_spec_order() -> None:
    names = [s.value for s in TaskStatus]

    assert names[:5] == ["RECEIVED", "INITIALIZING", "INITIALIZED", "INITIALIZE_FAILED", "RUNNING"]
    assert names[-2:] == ["COMPLETED", "FAILED"]
    assert TaskStatus.RUNNING.position < TaskStatus.CONSENSUS_REACHED.position < TaskStatus.FINALIZED.position
    assert {s for s in TaskStatus if s.is_final()} == {TaskStatus.COMPLETED, TaskStatus.FAILED}


def test_final_replicate_statuses() -> None:
    assert {s for s in S if s.is_final()} == {S.COMPLETED, S.FAILED}


def test_failure_statuses_are_the_failed_suffix_and_failed() -> None:
    assert {s for s in S if s.is_failure()} == {
        S.START_FAILED, S.APP_DOWNLOAD_FAILED, S.DATA_DOWNLOAD_FAILED, S.COMPUTE_FAILED, S.CONTRIBUTE_FAILED,
        S.REVEAL_FAILED, S.RESULT_UPLOAD_FAILED, S.CONTRIBUTE_AND_FINALIZE_FAILED, S.COMPLETE_FAILED, S.FAILED}


def test_failed_before_computed() -> None:
    assert {s for s in S if s.is_failed_before_computed()} == {
        S.START_FAILED, S.APP_DOWNLOAD_FAILED, S.DATA_DOWNLOAD_FAILED, S.COMPUTE_FAILED}
    assert not S.CONTRIBUTE_FAILED.is_failed_before_computed()
    assert not S.FAILED.is_failed_before_computed()  # FAILED sits after COMPUTED in the enum


def test_statuses_are_str_enums_for_the_wire() -> None:
    assert S("COMPUTED") is S.COMPUTED and S.COMPUTED == "COMPUTED"
    with pytest.raises(ValueError):
        S("RUNNING")


def test_chain_enums_match_poco() -> None:
    assert [(s.name, s.value) for s in ChainTaskStatus] == [
        ("UNSET", 0), ("ACTIVE", 1), ("REVEALING", 2), ("COMPLETED", 3), ("FAILED", 4)]
    assert [(s.name, s.value) for s in ChainContributionStatus] == [
        ("UNSET", 0), ("CONTRIBUTED", 1), ("PROVED", 2), ("REJECTED", 3)]


def test_seed_001_names_present_in_our_enum() -> None:
    """Report, not wish: which seeds/001 names exist as statuses, and which moved to causes or other names."""
    ours = {s.value for s in ReplicateStatus}
    missing = [name for name in SEED_001_STATUSES if name not in ours]

    assert missing == list(SEED_NAMES_MAPPED_ELSEWHERE)
    assert set(SEED_001_STATUSES) - set(SEED_NAMES_MAPPED_ELSEWHERE) <= ours


def test_seed_meanings_that_became_causes_exist_as_causes() -> None:
    C = ReplicateStatusCause
    assert {C.STAKE_TOO_LOW, C.TASK_NOT_ACTIVE, C.CONTRIBUTION_TIMEOUT, C.CONTRIBUTION_ALREADY_SET,
            C.CANNOT_REVEAL, C.REVEAL_TIMEOUT, C.OUT_OF_GAS} <= set(C)
    assert {TaskAbortCause.CONSENSUS_REACHED, TaskAbortCause.CONTRIBUTION_TIMEOUT} <= set(TaskAbortCause)
