"""Replicate workflow against core-spec §6.2 (transitions) and §6.3 step 6 (next action)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.scheduler.workflow import COMPUTING_PHASE, REPEATABLE, can_transition, next_action

#: core-spec §6.2 main path.
MAIN_PATH = [
    (S.CREATED, S.STARTING), (S.STARTING, S.STARTED), (S.STARTING, S.START_FAILED),
    (S.STARTED, S.APP_DOWNLOADING), (S.APP_DOWNLOADING, S.APP_DOWNLOADED),
    (S.APP_DOWNLOADING, S.APP_DOWNLOAD_FAILED), (S.APP_DOWNLOAD_FAILED, S.CONTRIBUTING),
    (S.APP_DOWNLOADED, S.DATA_DOWNLOADING), (S.DATA_DOWNLOADING, S.DATA_DOWNLOADED),
    (S.DATA_DOWNLOADING, S.DATA_DOWNLOAD_FAILED), (S.DATA_DOWNLOAD_FAILED, S.CONTRIBUTING),
    (S.DATA_DOWNLOADED, S.COMPUTING), (S.COMPUTING, S.COMPUTED), (S.COMPUTING, S.COMPUTE_FAILED),
    (S.COMPUTED, S.CONTRIBUTING), (S.COMPUTED, S.CONTRIBUTE_AND_FINALIZE_ONGOING),
    (S.CONTRIBUTING, S.CONTRIBUTED), (S.CONTRIBUTING, S.CONTRIBUTE_FAILED), (S.CONTRIBUTED, S.REVEALING),
    (S.REVEALING, S.REVEALED), (S.REVEALING, S.REVEAL_FAILED), (S.REVEALED, S.RESULT_UPLOAD_REQUESTED),
    (S.REVEALED, S.COMPLETING), (S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOADING),
    (S.RESULT_UPLOADING, S.RESULT_UPLOADED), (S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED),
    (S.RESULT_UPLOAD_FAILED, S.COMPLETING), (S.RESULT_UPLOADED, S.COMPLETING),
    (S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_DONE),
    (S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_FAILED),
    (S.CONTRIBUTE_AND_FINALIZE_DONE, S.COMPLETING), (S.COMPLETING, S.COMPLETED), (S.COMPLETING, S.COMPLETE_FAILED),
]  # fmt: skip

WORKFLOW = [s for s in S if s.position <= S.COMPLETED.position]
NON_FINAL_WORKFLOW = [s for s in WORKFLOW if s is not S.COMPLETED]
FINAL = {S.COMPLETED, S.FAILED}
#: The two statuses from which a replicate may go back into the workflow (a lost or restarted worker).
RESUMING = {S.WORKER_LOST, S.RECOVERING}
statuses = st.sampled_from(list(S))


@pytest.mark.parametrize(("current", "new"), MAIN_PATH, ids=lambda s: s.value)
def test_main_path_transitions_are_allowed(current: S, new: S) -> None:
    assert can_transition(current, new)


def test_main_path_is_the_only_forward_move_between_workflow_statuses() -> None:
    allowed = {(a, b) for a in NON_FINAL_WORKFLOW for b in WORKFLOW if can_transition(a, b)}

    # Deliberate fix of core-spec §12.4: an uploader that never starts may report RESULT_UPLOAD_FAILED.
    assert allowed == set(MAIN_PATH) | {(S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOAD_FAILED)}


@pytest.mark.parametrize(("current", "new"), [(S.CREATED, S.STARTED), (S.STARTED, S.COMPUTING),
                                              (S.COMPUTED, S.REVEALING), (S.CONTRIBUTED, S.COMPLETING),
                                              (S.REVEALED, S.CONTRIBUTED), (S.COMPUTED, S.COMPUTING)])
def test_skipping_or_going_back_is_refused(current: S, new: S) -> None:
    assert not can_transition(current, new)


def test_failed_is_reachable_from_the_spec_sources() -> None:
    spec_sources = {s for s in S if s.position <= S.REVEAL_FAILED.position} | {
        S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.CONTRIBUTE_AND_FINALIZE_FAILED, S.ABORTED, S.WORKER_LOST,
        S.RECOVERING}
    # Beyond §6.2 (reported divergence): an uploader that is stuck may be failed too.
    upload = {S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED}

    assert {s for s in S if can_transition(s, S.FAILED)} == spec_sources | upload
    assert not can_transition(S.REVEALED, S.FAILED)  # REVEALED comes after REVEAL_FAILED: not failable
    assert not can_transition(S.COMPLETING, S.FAILED)


def test_worker_lost_sources_and_targets() -> None:
    sources = {s for s in S if can_transition(s, S.WORKER_LOST)}

    # §6.2, plus WORKER_LOST itself: a replicate may be lost more than once (§12.3 fix).
    assert sources == set(NON_FINAL_WORKFLOW) | {S.RECOVERING, S.ABORTED, S.WORKER_LOST}
    assert all(can_transition(S.WORKER_LOST, s) for s in WORKFLOW if s not in (S.CREATED, S.STARTING))
    assert can_transition(S.WORKER_LOST, S.COMPLETED) and can_transition(S.WORKER_LOST, S.FAILED)
    assert can_transition(S.WORKER_LOST, S.RECOVERING) and can_transition(S.WORKER_LOST, S.ABORTED)


def test_worker_lost_cannot_go_back_to_created_or_starting() -> None:
    """Divergence from §6.2 (which allows WORKER_LOST -> any workflow status): reported, pinned here."""
    assert not can_transition(S.WORKER_LOST, S.CREATED)
    assert not can_transition(S.WORKER_LOST, S.STARTING)


def test_recovering_targets_are_anything_but_created_and_starting() -> None:
    assert {s for s in S if can_transition(S.RECOVERING, s)} == set(S) - {S.CREATED, S.STARTING}


def test_recovering_sources() -> None:
    sources = {s for s in S if can_transition(s, S.RECOVERING)}

    assert S.ABORTED not in sources and not FINAL & sources
    assert {S.RECOVERING, S.WORKER_LOST, S.CREATED, S.COMPUTING, S.REVEALED, S.COMPLETING} <= sources
    # Divergence from §6.2 (reported): the spec excludes START_FAILED, COMPUTE_FAILED, CONTRIBUTE_FAILED,
    # REVEAL_FAILED and COMPLETE_FAILED; the code lets every non-final workflow status be recovered.
    assert sources == set(NON_FINAL_WORKFLOW) | {S.RECOVERING, S.WORKER_LOST}


def test_aborted_sources_and_targets() -> None:
    assert {s for s in S if can_transition(s, S.ABORTED)} == set(NON_FINAL_WORKFLOW) | {S.WORKER_LOST,
                                                                                         S.RECOVERING}
    assert {s for s in S if can_transition(S.ABORTED, s)} == {S.COMPLETED, S.FAILED, S.WORKER_LOST}


def test_final_statuses_have_no_way_out() -> None:
    assert not any(can_transition(final, s) for final in FINAL for s in S)


@given(current=statuses, new=statuses)
def test_only_lost_or_recovering_replicates_move_backwards(current: S, new: S) -> None:
    """No transition leaves a final status; only WORKER_LOST/RECOVERING re-enter the workflow anywhere."""
    if not can_transition(current, new):
        return
    assert current not in FINAL
    if current not in RESUMING and new in WORKFLOW:
        assert new.position > current.position or current is S.ABORTED


@given(walk=st.lists(statuses, min_size=1, max_size=40))
def test_a_walk_that_reaches_a_final_status_stays_there(walk: list[S]) -> None:
    current = S.CREATED
    for candidate in walk:
        if can_transition(current, candidate):
            assert current not in FINAL
            current = candidate
    assert current in set(S)


def test_repeatable_and_computing_phase() -> None:
    computing = {S.CREATED, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED, S.DATA_DOWNLOADING,
                 S.DATA_DOWNLOADED, S.COMPUTING}

    assert set(REPEATABLE) == {S.WORKER_LOST, S.RECOVERING}
    assert set(COMPUTING_PHASE) == computing


# ---- next action (core-spec §6.3 step 6) ------------------------------------------------------------------

DEFAULT_TABLE = {
    **dict.fromkeys([S.STARTING, S.APP_DOWNLOADING, S.DATA_DOWNLOADING, S.COMPUTING, S.CONTRIBUTING, S.REVEALING,
                     S.RESULT_UPLOADING, S.CONTRIBUTE_AND_FINALIZE_ONGOING, S.COMPLETING], N.PLEASE_CONTINUE),
    S.STARTED: N.PLEASE_DOWNLOAD_APP,
    S.APP_DOWNLOADED: N.PLEASE_DOWNLOAD_DATA,
    S.DATA_DOWNLOADED: N.PLEASE_COMPUTE,
    S.COMPUTED: N.PLEASE_CONTRIBUTE,
    **dict.fromkeys([S.CONTRIBUTED, S.REVEALED, S.RESULT_UPLOADED, S.CONTRIBUTE_AND_FINALIZE_DONE, S.COMPLETED],
                    N.PLEASE_WAIT),
    **dict.fromkeys([S.CREATED, S.RESULT_UPLOAD_REQUESTED, S.FAILED, S.ABORTED, S.RECOVERING, S.WORKER_LOST],
                    None),
}  # fmt: skip


@pytest.mark.parametrize("status", list(DEFAULT_TABLE), ids=lambda s: s.value)
def test_default_next_action(status: S) -> None:
    assert next_action(status) is DEFAULT_TABLE[status]


@pytest.mark.parametrize("status", [s for s in S if s.value.endswith("_FAILED")], ids=lambda s: s.value)
def test_every_failed_status_without_a_contributable_cause_aborts(status: S) -> None:
    assert next_action(status) is N.PLEASE_ABORT
    assert next_action(status, C.UNKNOWN) is N.PLEASE_ABORT


def test_every_status_has_a_decided_next_action() -> None:
    failed = {s for s in S if s.value.endswith("_FAILED")}

    assert set(DEFAULT_TABLE) | failed == set(S)


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
