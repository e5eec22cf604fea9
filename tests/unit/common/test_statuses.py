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

#: The replicate statuses listed by seeds/001 ("Statuses of Replicates", the product's vocabulary), in its order.
SEED_001_STATUSES = _names("""CREATED RUNNING APP_DOWNLOADING APP_DOWNLOADED APP_DOWNLOAD_FAILED DATA_DOWNLOADING
DATA_DOWNLOADED DATA_DOWNLOAD_FAILED COMPUTING COMPUTED COMPUTE_FAILED CAN_CONTRIBUTE
CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE
CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET CONTRIBUTING CONTRIBUTE_FAILED CONTRIBUTED CANT_REVEAL REVEALING
REVEALED REVEAL_FAILED RESULT_UPLOAD_REQUESTED RESULT_UPLOAD_REQUEST_FAILED RESULT_UPLOADING RESULT_UPLOADED
RESULT_UPLOAD_FAILED COMPLETED REVEAL_TIMEOUT WORKER_LOST ABORTED_ON_CONSENSUS_REACHED
ABORTED_ON_CONTRIBUTION_TIMEOUT FAILED OUT_OF_GAS RECOVERING""")

#: Where each seeds/001 status not in core-spec §6.1 sits in our enum: right after this status.
SEED_ONLY_AFTER = {
    "RUNNING": "CREATED",
    "CAN_CONTRIBUTE": "COMPUTED",
    "CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW": "CAN_CONTRIBUTE",
    "CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE": "CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW",
    "CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE": "CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE",
    "CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET": "CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE",
    "CANT_REVEAL": "CONTRIBUTED",
    "RESULT_UPLOAD_REQUEST_FAILED": "RESULT_UPLOAD_REQUESTED",
    "REVEAL_TIMEOUT": "COMPLETED",
    "ABORTED_ON_CONSENSUS_REACHED": "ABORTED",
    "ABORTED_ON_CONTRIBUTION_TIMEOUT": "ABORTED_ON_CONSENSUS_REACHED",
    "OUT_OF_GAS": "ABORTED_ON_CONTRIBUTION_TIMEOUT",
}


def test_replicate_status_order_is_the_spec_order_with_the_seed_statuses_inserted() -> None:
    ours = [s.value for s in ReplicateStatus]

    assert [name for name in ours if name not in SEED_ONLY_AFTER] == SPEC_REPLICATE_ORDER
    assert {name: ours[ours.index(name) - 1] for name in SEED_ONLY_AFTER} == SEED_ONLY_AFTER
    assert [s.position for s in ReplicateStatus] == list(range(len(ours)))
    assert all(s.name == s.value for s in ReplicateStatus)


def test_seed_001_statuses_keep_their_relative_order() -> None:
    """seeds/001 lists its statuses in the product's order, but for the failures it lists after the success."""
    moved = {"APP_DOWNLOAD_FAILED", "DATA_DOWNLOAD_FAILED", "COMPUTE_FAILED", "REVEAL_FAILED", "RESULT_UPLOAD_FAILED",
             "WORKER_LOST", "FAILED"}
    seed = [name for name in SEED_001_STATUSES if name not in moved]

    assert sorted(seed, key=lambda name: ReplicateStatus(name).position) == seed


def test_task_status_order_is_the_spec_order() -> None:
    names = [s.value for s in TaskStatus]

    assert names[:5] == ["RECEIVED", "INITIALIZING", "INITIALIZED", "INITIALIZE_FAILED", "RUNNING"]
    assert names[-2:] == ["COMPLETED", "FAILED"]
    assert TaskStatus.RUNNING.position < TaskStatus.CONSENSUS_REACHED.position < TaskStatus.FINALIZED.position
    assert {s for s in TaskStatus if s.is_final()} == {TaskStatus.COMPLETED, TaskStatus.FAILED}


def test_final_replicate_statuses() -> None:
    assert {s for s in S if s.is_final()} == {S.COMPLETED, S.FAILED}


def test_failure_statuses_are_the_failed_suffix_the_refusals_and_failed() -> None:
    assert {s for s in S if s.is_failure()} == {
        S.START_FAILED, S.APP_DOWNLOAD_FAILED, S.DATA_DOWNLOAD_FAILED, S.COMPUTE_FAILED, S.CONTRIBUTE_FAILED,
        S.REVEAL_FAILED, S.RESULT_UPLOAD_REQUEST_FAILED, S.RESULT_UPLOAD_FAILED, S.CONTRIBUTE_AND_FINALIZE_FAILED,
        S.COMPLETE_FAILED, S.FAILED, S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE,
        S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE, S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET, S.CANT_REVEAL,
        S.REVEAL_TIMEOUT, S.OUT_OF_GAS}
    assert not S.CAN_CONTRIBUTE.is_failure() and not S.RUNNING.is_failure()


def test_aborted_statuses() -> None:
    assert {s for s in S if s.is_aborted()} == {S.ABORTED, S.ABORTED_ON_CONSENSUS_REACHED,
                                                 S.ABORTED_ON_CONTRIBUTION_TIMEOUT}
    assert not any(s.is_failure() for s in S if s.is_aborted())


def test_failed_before_computed() -> None:
    assert {s for s in S if s.is_failed_before_computed()} == {
        S.START_FAILED, S.APP_DOWNLOAD_FAILED, S.DATA_DOWNLOAD_FAILED, S.COMPUTE_FAILED}
    assert not S.CONTRIBUTE_FAILED.is_failed_before_computed()
    assert not S.FAILED.is_failed_before_computed()  # FAILED sits after COMPUTED in the enum


def test_statuses_are_str_enums_for_the_wire() -> None:
    assert S("COMPUTED") is S.COMPUTED and S.COMPUTED == "COMPUTED"
    assert S("CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE") is S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE
    with pytest.raises(ValueError):
        S("running")
    with pytest.raises(ValueError):
        S("CANT_CONTRIBUTE")


def test_chain_enums_match_poco() -> None:
    assert [(s.name, s.value) for s in ChainTaskStatus] == [
        ("UNSET", 0), ("ACTIVE", 1), ("REVEALING", 2), ("COMPLETED", 3), ("FAILED", 4)]
    assert [(s.name, s.value) for s in ChainContributionStatus] == [
        ("UNSET", 0), ("CONTRIBUTED", 1), ("PROVED", 2), ("REJECTED", 3)]


def test_every_seed_001_status_is_in_our_enum() -> None:
    assert len(set(SEED_001_STATUSES)) == len(SEED_001_STATUSES) == 36
    assert set(SEED_001_STATUSES) <= {s.value for s in ReplicateStatus}
    # The modern statuses (core-spec §6.1) stay too, so a genuine iExec worker is understood.
    assert {s.value for s in ReplicateStatus} == set(SEED_001_STATUSES) | set(SPEC_REPLICATE_ORDER)


def test_the_causes_of_the_seed_statuses_exist() -> None:
    C = ReplicateStatusCause
    assert {C.STAKE_TOO_LOW, C.TASK_NOT_ACTIVE, C.CONTRIBUTION_TIMEOUT, C.CONTRIBUTION_ALREADY_SET,
            C.CANNOT_REVEAL, C.REVEAL_TIMEOUT, C.OUT_OF_GAS} <= set(C)
    assert {TaskAbortCause.CONSENSUS_REACHED, TaskAbortCause.CONTRIBUTION_TIMEOUT} <= set(TaskAbortCause)
