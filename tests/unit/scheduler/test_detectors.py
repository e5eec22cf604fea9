"""Pure parts of the detectors: selections and decisions on plain rows and values, and the schedule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from workerpool.chain.models import ChainTask
from workerpool.common.errors import ChainError
from workerpool.common.statuses import ChainContributionStatus as CC
from workerpool.common.statuses import ChainTaskStatus as CT
from workerpool.common.statuses import ReplicateStatus as R
from workerpool.common.statuses import TaskStatus as T
from workerpool.scheduler.db.tables import Replicate, ReplicateStatusEntry
from workerpool.scheduler.detectors.base import DetectorSchedule
from workerpool.scheduler.detectors.claim import ClaimAction, claim_action
from workerpool.scheduler.detectors.deadlines import contribution_timed_out
from workerpool.scheduler.detectors.reveal_timeout import reveal_timed_out, should_reopen
from workerpool.scheduler.detectors.unnotified import chain_target, is_candidate, missing_statuses
from workerpool.scheduler.detectors.upload_timeout import upload_timed_out
from workerpool.scheduler.detectors.worker_lost import lost_wallets, should_mark_lost
from workerpool.scheduler.history import last_relevant

NOW = datetime(2026, 1, 1, 12, 0, 0)
H1, H2 = "0x" + "01" * 32, "0x" + "02" * 32


def replicate(*statuses: R, contribution_hash: str = "") -> Replicate:
    row = Replicate(chain_task_id="0x" + "ab" * 32, worker="0x" + "11" * 20, status=statuses[-1].value,
                    contribution_hash=contribution_hash, worker_weight=2)
    row.history = [ReplicateStatusEntry(status=s.value, modifier="WORKER") for s in statuses]
    return row


# ---- worker lost --------------------------------------------------------------------------------------------
def test_lost_wallets_counts_silence_from_the_later_of_last_ping_and_scheduler_start() -> None:
    started = NOW - timedelta(seconds=120)
    workers = [("0xfresh", NOW - timedelta(seconds=10)), ("0xsilent", NOW - timedelta(seconds=90)),
               ("0xnever", None)]

    assert lost_wallets(workers, now=NOW, lost_after_s=60, alive_since=started) == ["0xsilent", "0xnever"]
    # Just restarted: everybody gets lost_after_s to ping again.
    assert lost_wallets(workers, now=NOW, lost_after_s=60, alive_since=NOW - timedelta(seconds=5)) == []


@pytest.mark.parametrize(("status", "expected"), [
    (R.CREATED, True), (R.COMPUTING, True), (R.CONTRIBUTED, True), (R.RECOVERING, True),
    (R.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, True), (R.RESULT_UPLOAD_REQUESTED, True),
    (R.WORKER_LOST, False), (R.COMPLETED, False), (R.FAILED, False), (R.ABORTED, False),
    (R.ABORTED_ON_CONSENSUS_REACHED, False), (R.REVEAL_TIMEOUT, False),
], ids=lambda v: getattr(v, "value", str(v)))
def test_which_replicates_of_a_lost_worker_become_worker_lost(status: R, expected: bool) -> None:
    assert should_mark_lost(status, T.RUNNING, final_deadline=2000, now=1000) is expected


@pytest.mark.parametrize(("task_status", "final_deadline"), [(T.COMPLETED, 2000), (T.FAILED, 2000),
                                                             (T.RUNNING, 1000)])
def test_replicates_of_ended_tasks_are_left_alone(task_status: T, final_deadline: int) -> None:
    assert not should_mark_lost(R.COMPUTING, task_status, final_deadline=final_deadline, now=1000)


# ---- deadlines and claim ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "now", "expected"), [
    (T.RUNNING, 999, False), (T.RUNNING, 1000, True), (T.INITIALIZED, 1500, True), (T.RECEIVED, 1500, True),
    (T.RUNNING, 2000, False),  # the final deadline's business
    (T.CONSENSUS_REACHED, 1500, False), (T.FAILED, 1500, False),
])
def test_contribution_timed_out(status: T, now: float, expected: bool) -> None:
    assert contribution_timed_out(status, 1000, 2000, now) is expected


@pytest.mark.parametrize(("chain", "action"), [
    (CT.ACTIVE, ClaimAction.CLAIM), (CT.REVEALING, ClaimAction.CLAIM),
    (CT.UNSET, ClaimAction.INITIALIZE_AND_CLAIM), (CT.FAILED, ClaimAction.RECORD), (CT.COMPLETED, ClaimAction.NONE),
])
def test_claim_action_by_chain_status(chain: CT, action: ClaimAction) -> None:
    assert claim_action(chain) is action


# ---- reveal timeout and reopen ------------------------------------------------------------------------------
@pytest.mark.parametrize(("statuses", "expected"), [
    ((R.CONTRIBUTED,), True),
    ((R.CONTRIBUTED, R.REVEALING), True),
    ((R.CONTRIBUTED, R.WORKER_LOST), True),
    ((R.CONTRIBUTED, R.REVEALING, R.RECOVERING), True),
    ((R.COMPUTED,), True),  # contributed on chain without telling us: it did not reveal either
    ((R.CONTRIBUTED, R.REVEALING, R.REVEALED), False),
    ((R.REVEALED, R.RESULT_UPLOAD_REQUESTED), False),
    ((R.CONTRIBUTED, R.REVEAL_TIMEOUT), False),
    ((R.CONTRIBUTED, R.REVEAL_TIMEOUT, R.WORKER_LOST), False),
], ids=lambda v: "-".join(s.value for s in v) if isinstance(v, tuple) else str(v))
def test_winners_that_did_not_reveal_time_out(statuses: tuple[R, ...], expected: bool) -> None:
    assert reveal_timed_out(replicate(*statuses, contribution_hash=H1), H1) is expected


def test_other_groups_and_non_contributors_do_not_time_out() -> None:
    assert not reveal_timed_out(replicate(R.CONTRIBUTED, contribution_hash=H2), H1)
    assert not reveal_timed_out(replicate(R.COMPUTING), H1)
    assert not reveal_timed_out(replicate(R.CONTRIBUTED, contribution_hash=H1), "")


def chain_task(status: CT = CT.REVEALING, *, reveals: int = 0, reveal_deadline: int = 1000,
               contribution_deadline: int = 1800, final_deadline: int = 2000) -> ChainTask:
    return ChainTask(task_id="0x" + "ab" * 32, status=status, deal_id="0x" + "cd" * 32, idx=0, timeref=100,
                     contribution_deadline=contribution_deadline, reveal_deadline=reveal_deadline,
                     final_deadline=final_deadline,
                     consensus_value=H1, reveal_counter=reveals, winner_counter=1, contributors=(),
                     result_digest="", results=b"")


@pytest.mark.parametrize(("task", "now", "expected"), [
    (chain_task(), 1000, True),
    (chain_task(), 999, False),  # the reveal window is still open
    (chain_task(reveals=1), 1500, False),  # someone revealed: finalize instead
    (chain_task(), 1800, False),  # nobody could contribute any more: leave it to the final deadline
    (chain_task(contribution_deadline=2500), 2000, False),  # past the final deadline: claim instead
    (chain_task(CT.ACTIVE), 1500, False),
    (chain_task(reveal_deadline=0), 1500, False),
])
def test_should_reopen_follows_pocos_preconditions(task: ChainTask, now: float, expected: bool) -> None:
    assert should_reopen(task, now) is expected


# ---- unnotified ---------------------------------------------------------------------------------------------
def test_missing_statuses_fill_the_success_path_up_to_the_target() -> None:
    assert missing_statuses(R.COMPUTED, R.CONTRIBUTED) == [R.CONTRIBUTING, R.CONTRIBUTED]
    assert missing_statuses(R.CONTRIBUTING, R.REVEALED) == [R.CONTRIBUTED, R.REVEALING, R.REVEALED]
    assert missing_statuses(R.CAN_CONTRIBUTE, R.CONTRIBUTED) == [R.CONTRIBUTING, R.CONTRIBUTED]
    assert missing_statuses(R.DATA_DOWNLOADED, R.CONTRIBUTED) == [R.COMPUTING, R.COMPUTED, R.CONTRIBUTING,
                                                                  R.CONTRIBUTED]
    assert missing_statuses(R.CONTRIBUTED, R.CONTRIBUTED) == []


@pytest.mark.parametrize("last", [R.CONTRIBUTE_FAILED, R.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, R.ABORTED,
                                  R.ABORTED_ON_CONSENSUS_REACHED, R.FAILED], ids=lambda s: s.value)
def test_nothing_is_added_after_a_failure_or_an_abort(last: R) -> None:
    assert missing_statuses(last, R.CONTRIBUTED) == []


def test_chain_target() -> None:
    assert [chain_target(s) for s in CC] == [None, R.CONTRIBUTED, R.REVEALED, None]


@pytest.mark.parametrize(("last", "reveal_phase", "full", "expected"), [
    (R.COMPUTED, False, False, True), (R.CONTRIBUTING, False, False, True), (R.STARTED, False, False, False),
    (R.STARTED, False, True, True), (R.CONTRIBUTED, False, True, False), (R.CONTRIBUTED, True, False, True),
    (R.REVEALING, True, False, True), (R.REVEALED, True, True, False), (R.CONTRIBUTE_FAILED, False, True, False),
    (R.ABORTED_ON_CONSENSUS_REACHED, True, True, False),
])
def test_is_candidate(last: R, reveal_phase: bool, full: bool, expected: bool) -> None:
    assert is_candidate(last, reveal_phase=reveal_phase, full=full) is expected


def test_last_relevant_skips_lost_and_recovering() -> None:
    assert last_relevant(replicate(R.COMPUTED, R.WORKER_LOST, R.RECOVERING)) is R.COMPUTED
    assert last_relevant(replicate(R.WORKER_LOST)) is R.CREATED


# ---- upload timeout -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("status", "age_s", "expected"), [
    (R.RESULT_UPLOAD_REQUESTED, 121, True),  # never started: replaced too (core-spec §12.4)
    (R.RESULT_UPLOADING, 120, True), (R.RESULT_UPLOADING, 119, False), (R.RESULT_UPLOADED, 500, False),
    (R.RESULT_UPLOAD_FAILED, 500, False), (R.WORKER_LOST, 500, False),
])
def test_upload_timed_out(status: R, age_s: int, expected: bool) -> None:
    changed = NOW - timedelta(seconds=age_s)
    assert upload_timed_out(status, changed, now=NOW, timeout_s=120) is expected


# ---- schedule -----------------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Recorder:
    def __init__(self, name: str, period_s: float, error: Exception | None = None):
        self.name, self.period_s, self.error = name, period_s, error
        self.runs: list[float] = []

    def run(self, now: float) -> None:
        self.runs.append(now)
        if self.error is not None:
            raise self.error


def test_each_detector_runs_on_its_own_period() -> None:
    clock = Clock()
    fast, slow = Recorder("fast", 1), Recorder("slow", 5)
    schedule = DetectorSchedule([fast, slow], chain_now=lambda: 42.0, monotonic=clock)

    waits = []
    for t in (0, 0.5, 1, 2, 3, 4, 5):
        clock.t = t
        waits.append(schedule.run_due())

    assert len(fast.runs) == 6 and len(slow.runs) == 2
    assert fast.runs[0] == 42.0  # detectors get the chain clock
    assert waits[:2] == [1, 0.5]


def test_a_failing_detector_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    broken, chain, fine = (Recorder("broken", 1, ValueError("bug")), Recorder("chain", 1, ChainError("down")),
                           Recorder("fine", 1))
    schedule = DetectorSchedule([broken, chain, fine], chain_now=lambda: 0.0, monotonic=Clock())

    with caplog.at_level(logging.WARNING):
        schedule.run_due()

    assert len(fine.runs) == 1
    assert "detector broken failed" in caplog.text and "detector chain postponed" in caplog.text


def test_no_detectors_never_wakes_the_loop() -> None:
    assert DetectorSchedule([], chain_now=lambda: 0.0).run_due() == float("inf")
