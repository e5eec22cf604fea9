"""Replicate workflow against core-spec §6.2 (transitions) and §6.3 step 6 (next action), in the seeds/001
vocabulary (RUNNING, CAN_CONTRIBUTE, CANT_*, OUT_OF_GAS, RESULT_UPLOAD_REQUEST_FAILED, REVEAL_TIMEOUT, ABORTED_ON_*)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.scheduler.workflow import (
    ABORTS,
    CANT_CONTRIBUTE,
    COMPUTING_PHASE,
    REPEATABLE,
    can_transition,
    next_action,
)

CANT = [S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE,
        S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE, S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET]
#: What a worker may report once a result (computed, or a download failure's error result) is ready.
CONTRIBUTE_GATE = [S.CAN_CONTRIBUTE, *CANT, S.OUT_OF_GAS, S.CONTRIBUTE_FAILED, S.CONTRIBUTING]

#: core-spec §6.2 main path, plus the seeds/001 steps.
MAIN_PATH = [
    (S.CREATED, S.RUNNING), (S.CREATED, S.STARTING), (S.RUNNING, S.STARTING),
    (S.STARTING, S.STARTED), (S.STARTING, S.START_FAILED),
    (S.STARTED, S.APP_DOWNLOADING), (S.APP_DOWNLOADING, S.APP_DOWNLOADED),
    (S.APP_DOWNLOADING, S.APP_DOWNLOAD_FAILED), *((S.APP_DOWNLOAD_FAILED, s) for s in CONTRIBUTE_GATE),
    (S.APP_DOWNLOADED, S.DATA_DOWNLOADING), (S.DATA_DOWNLOADING, S.DATA_DOWNLOADED),
    (S.DATA_DOWNLOADING, S.DATA_DOWNLOAD_FAILED), *((S.DATA_DOWNLOAD_FAILED, s) for s in CONTRIBUTE_GATE),
    (S.DATA_DOWNLOADED, S.COMPUTING), (S.COMPUTING, S.COMPUTED), (S.COMPUTING, S.COMPUTE_FAILED),
    *((S.COMPUTED, s) for s in CONTRIBUTE_GATE), (S.COMPUTED, S.CONTRIBUTE_AND_FINALIZE_ONGOING),
    (S.CAN_CONTRIBUTE, S.CONTRIBUTING), (S.CAN_CONTRIBUTE, S.OUT_OF_GAS),
    (S.CONTRIBUTING, S.CONTRIBUTED), (S.CONTRIBUTING, S.CONTRIBUTE_FAILED),
    (S.CONTRIBUTED, S.REVEALING), (S.CONTRIBUTED, S.CANT_REVEAL), (S.CONTRIBUTED, S.OUT_OF_GAS),
    (S.CONTRIBUTED, S.REVEAL_FAILED), (S.CONTRIBUTED, S.REVEAL_TIMEOUT),
    (S.REVEALING, S.REVEALED), (S.REVEALING, S.REVEAL_FAILED), (S.REVEALING, S.REVEAL_TIMEOUT),
    (S.REVEALED, S.RESULT_UPLOAD_REQUESTED), (S.REVEALED, S.COMPLETING),
    (S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOADING), (S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOAD_REQUEST_FAILED),
    (S.RESULT_UPLOAD_REQUEST_FAILED, S.COMPLETING),
    (S.RESULT_UPLOADING, S.RESULT_UPLOADED), (S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED),
    (S.RESULT_UPLOAD_FAILED, S.COMPLETING), (S.RESULT_UPLOADED, S.COMPLETING),
    (S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_DONE),
    (S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_FAILED),
    (S.CONTRIBUTE_AND_FINALIZE_DONE, S.COMPLETING), (S.COMPLETING, S.COMPLETED), (S.COMPLETING, S.COMPLETE_FAILED),
]  # fmt: skip
#: A worker that said it could not contribute while its tx was in fact mined: the pool manager catches up.
CATCH_UP = [(S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, S.CONTRIBUTED),
            (S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET, S.CONTRIBUTED), (S.CONTRIBUTE_FAILED, S.CONTRIBUTED)]

FINAL = {S.COMPLETED, S.FAILED}
#: The two statuses from which a replicate may go back into the workflow (a lost or restarted worker).
RESUMING = {S.WORKER_LOST, S.RECOVERING}
#: The replicate's own steps: everything but the final, aborted, lost and recovering statuses.
STEPS = set(S) - FINAL - set(ABORTS) - RESUMING
NON_FINAL = set(S) - FINAL
#: Dead ends the worker is told to abort from (§6.2's five failures, plus the seeds/001 refusals).
NOT_RECOVERABLE = {S.START_FAILED, S.COMPUTE_FAILED, S.CONTRIBUTE_FAILED, S.REVEAL_FAILED, S.COMPLETE_FAILED,
                   *CANT, S.CANT_REVEAL, S.OUT_OF_GAS, S.REVEAL_TIMEOUT}
statuses = st.sampled_from(list(S))


def test_the_named_groups() -> None:
    assert set(CANT_CONTRIBUTE) == set(CANT)
    assert set(ABORTS) == {S.ABORTED, S.ABORTED_ON_CONSENSUS_REACHED, S.ABORTED_ON_CONTRIBUTION_TIMEOUT}
    before_completed = {s for s in S if s.position < S.COMPLETED.position}
    assert before_completed | {S.REVEAL_TIMEOUT, S.OUT_OF_GAS} == STEPS


@pytest.mark.parametrize(("current", "new"), MAIN_PATH + CATCH_UP, ids=lambda s: s.value)
def test_main_path_transitions_are_allowed(current: S, new: S) -> None:
    assert can_transition(current, new)


def test_main_path_is_the_only_move_between_steps() -> None:
    allowed = {(a, b) for a in STEPS for b in STEPS | {S.COMPLETED} if can_transition(a, b)}

    # Deliberate fix of core-spec §12.4: an uploader that never starts may be failed with RESULT_UPLOAD_FAILED.
    assert allowed == set(MAIN_PATH) | set(CATCH_UP) | {(S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOAD_FAILED)}


@pytest.mark.parametrize(("current", "new"), [
    (S.CREATED, S.STARTED), (S.STARTED, S.COMPUTING), (S.COMPUTED, S.REVEALING), (S.CONTRIBUTED, S.COMPLETING),
    (S.REVEALED, S.CONTRIBUTED), (S.COMPUTED, S.COMPUTING), (S.RUNNING, S.CREATED), (S.RUNNING, S.STARTED),
    (S.CAN_CONTRIBUTE, S.CONTRIBUTED), (S.CAN_CONTRIBUTE, S.CONTRIBUTE_FAILED), (S.STARTED, S.CAN_CONTRIBUTE),
    (S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, S.CONTRIBUTING), (S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, S.CONTRIBUTED),
    (S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE, S.CONTRIBUTED), (S.OUT_OF_GAS, S.CONTRIBUTING),
    (S.CANT_REVEAL, S.REVEALING), (S.REVEALED, S.REVEAL_TIMEOUT), (S.COMPUTED, S.REVEAL_TIMEOUT),
    (S.RESULT_UPLOAD_REQUEST_FAILED, S.RESULT_UPLOADING), (S.REVEALED, S.CANT_REVEAL),
    (S.CONTRIBUTING, S.OUT_OF_GAS), (S.REVEALING, S.OUT_OF_GAS),
])  # fmt: skip
def test_skipping_or_going_back_is_refused(current: S, new: S) -> None:
    assert not can_transition(current, new)


def test_failed_is_reachable_from_the_spec_sources() -> None:
    spec_sources = {s for s in S if s.position <= S.REVEAL_FAILED.position} | {
        S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_FAILED, *ABORTS, S.WORKER_LOST,
        S.RECOVERING}
    # Beyond §6.2 (reported divergence): a stuck uploader may be failed too, and so may the dead ends.
    upload = {S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOAD_REQUEST_FAILED, S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED}

    assert {s for s in S if can_transition(s, S.FAILED)} == spec_sources | upload | {S.REVEAL_TIMEOUT, S.OUT_OF_GAS}
    assert {S.RUNNING, S.CAN_CONTRIBUTE, *CANT, S.CANT_REVEAL} <= spec_sources  # by enum position
    assert not can_transition(S.REVEALED, S.FAILED)  # REVEALED comes after REVEAL_FAILED: not failable
    assert not can_transition(S.COMPLETING, S.FAILED)


def test_reveal_timeout_is_for_revealers_only() -> None:
    assert {s for s in S if can_transition(s, S.REVEAL_TIMEOUT)} == {S.CONTRIBUTED, S.REVEALING} | RESUMING
    assert {s for s in S if can_transition(S.REVEAL_TIMEOUT, s)} == {S.FAILED, S.WORKER_LOST, *ABORTS}


def test_worker_lost_sources_and_targets() -> None:
    sources = {s for s in S if can_transition(s, S.WORKER_LOST)}

    # §6.2, plus WORKER_LOST itself: a replicate may be lost more than once (§12.3 fix).
    assert sources == NON_FINAL
    assert {s for s in S if can_transition(S.WORKER_LOST, s)} == set(S) - {S.CREATED}


def test_lost_or_recovering_replicates_may_start_again() -> None:
    """§6.2: WORKER_LOST -> any workflow status but CREATED (the earlier divergence on STARTING is fixed)."""
    for resuming in RESUMING:
        assert can_transition(resuming, S.STARTING) and can_transition(resuming, S.RUNNING)
        assert not can_transition(resuming, S.CREATED)


def test_recovering_targets_are_anything_but_created() -> None:
    assert {s for s in S if can_transition(S.RECOVERING, s)} == set(S) - {S.CREATED}


def test_recovering_sources() -> None:
    sources = {s for s in S if can_transition(s, S.RECOVERING)}

    # §6.2: every non-final step but START_FAILED, COMPUTE_FAILED, CONTRIBUTE_FAILED, REVEAL_FAILED and
    # COMPLETE_FAILED, plus RECOVERING and WORKER_LOST; the seeds/001 dead ends are not recovered either.
    assert sources == (STEPS - NOT_RECOVERABLE) | RESUMING
    assert not set(ABORTS) & sources and not FINAL & sources
    assert {S.RUNNING, S.CAN_CONTRIBUTE, S.RESULT_UPLOAD_REQUEST_FAILED, S.APP_DOWNLOAD_FAILED} <= sources


@pytest.mark.parametrize("aborted", [s for s in S if s in ABORTS], ids=lambda s: s.value)
def test_aborted_sources_and_targets(aborted: S) -> None:
    assert {s for s in S if can_transition(s, aborted)} == STEPS | RESUMING
    assert {s for s in S if can_transition(aborted, s)} == {S.COMPLETED, S.FAILED, S.WORKER_LOST}


def test_final_statuses_have_no_way_out() -> None:
    assert not any(can_transition(final, s) for final in FINAL for s in S)


@given(current=statuses, new=statuses)
def test_only_lost_or_recovering_replicates_move_backwards(current: S, new: S) -> None:
    """No transition leaves a final status; only WORKER_LOST/RECOVERING re-enter the workflow anywhere."""
    if not can_transition(current, new):
        return
    assert current not in FINAL
    if current not in RESUMING and new in STEPS:
        assert new.position > current.position or current in ABORTS


@given(walk=st.lists(statuses, min_size=1, max_size=40))
def test_a_walk_never_leaves_a_final_status_nor_returns_to_created(walk: list[S]) -> None:
    current = S.CREATED
    for candidate in walk:
        if can_transition(current, candidate):
            assert current not in FINAL
            assert candidate is not S.CREATED
            current = candidate


def test_repeatable_and_computing_phase() -> None:
    computing = {S.CREATED, S.RUNNING, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED,
                 S.DATA_DOWNLOADING, S.DATA_DOWNLOADED, S.COMPUTING}

    assert set(REPEATABLE) == {S.WORKER_LOST, S.RECOVERING}
    assert set(COMPUTING_PHASE) == computing


# ---- next action (core-spec §6.3 step 6) ------------------------------------------------------------------

DEFAULT_TABLE = {
    **dict.fromkeys([S.RUNNING, S.STARTING, S.APP_DOWNLOADING, S.DATA_DOWNLOADING, S.COMPUTING, S.CAN_CONTRIBUTE,
                     S.CONTRIBUTING, S.REVEALING, S.RESULT_UPLOADING, S.CONTRIBUTE_AND_FINALIZE_ONGOING,
                     S.COMPLETING], N.PLEASE_CONTINUE),
    S.STARTED: N.PLEASE_DOWNLOAD_APP,
    S.APP_DOWNLOADED: N.PLEASE_DOWNLOAD_DATA,
    S.DATA_DOWNLOADED: N.PLEASE_COMPUTE,
    S.COMPUTED: N.PLEASE_CONTRIBUTE,
    **dict.fromkeys([S.CONTRIBUTED, S.REVEALED, S.RESULT_UPLOADED, S.CONTRIBUTE_AND_FINALIZE_DONE, S.COMPLETED],
                    N.PLEASE_WAIT),
    **dict.fromkeys([S.CREATED, S.RESULT_UPLOAD_REQUESTED, S.FAILED, *ABORTS, S.RECOVERING, S.WORKER_LOST,
                     S.RESULT_UPLOAD_REQUEST_FAILED, S.REVEAL_TIMEOUT], None),
}  # fmt: skip
#: The worker cannot go on: it is told to abort, whatever the cause.
ABORTING = [s for s in S if s.value.endswith("_FAILED") and s is not S.RESULT_UPLOAD_REQUEST_FAILED] + [
    *CANT, S.CANT_REVEAL, S.OUT_OF_GAS]


@pytest.mark.parametrize("status", list(DEFAULT_TABLE), ids=lambda s: s.value)
def test_default_next_action(status: S) -> None:
    assert next_action(status) is DEFAULT_TABLE[status]


@pytest.mark.parametrize("status", ABORTING, ids=lambda s: s.value)
def test_every_failure_without_a_contributable_cause_aborts(status: S) -> None:
    assert next_action(status) is N.PLEASE_ABORT
    assert next_action(status, C.UNKNOWN) is N.PLEASE_ABORT


def test_a_refused_upload_is_not_aborted_the_scheduler_elects_another_uploader() -> None:
    assert next_action(S.RESULT_UPLOAD_REQUEST_FAILED, C.RESULT_LINK_MISSING) is None
    assert next_action(S.RESULT_UPLOAD_FAILED, C.RESULT_LINK_MISSING) is N.PLEASE_ABORT


def test_every_status_has_a_decided_next_action() -> None:
    assert set(DEFAULT_TABLE) | set(ABORTING) == set(S)
    assert not set(DEFAULT_TABLE) & set(ABORTING)


def test_app_download_failure_is_contributed_only_for_the_image_cause() -> None:
    assert next_action(S.APP_DOWNLOAD_FAILED, C.APP_IMAGE_DOWNLOAD_FAILED) is N.PLEASE_CONTRIBUTE
    assert next_action(S.APP_DOWNLOAD_FAILED, C.DATASET_FILE_DOWNLOAD_FAILED) is N.PLEASE_ABORT
    assert next_action(S.APP_DOWNLOAD_FAILED, None) is N.PLEASE_ABORT


@pytest.mark.parametrize("cause", list(C), ids=lambda c: c.value)
def test_data_download_failure_is_contributed_for_the_three_data_causes(cause: C) -> None:
    contributable = {C.DATASET_FILE_DOWNLOAD_FAILED, C.DATASET_FILE_BAD_CHECKSUM, C.INPUT_FILES_DOWNLOAD_FAILED}

    expected = N.PLEASE_CONTRIBUTE if cause in contributable else N.PLEASE_ABORT
    assert next_action(S.DATA_DOWNLOAD_FAILED, cause) is expected


def test_computed_asks_contribute_and_finalize_when_eligible() -> None:
    assert next_action(S.COMPUTED, contribute_and_finalize=True) is N.PLEASE_CONTRIBUTE_AND_FINALIZE
    assert next_action(S.COMPUTED, contribute_and_finalize=False) is N.PLEASE_CONTRIBUTE
    assert next_action(S.STARTED, contribute_and_finalize=True) is N.PLEASE_DOWNLOAD_APP  # only for COMPUTED
