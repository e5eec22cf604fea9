"""Supply prediction inputs: contributed groups and pending weights, from in-memory Replicate rows (no DB)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from workerpool.common.statuses import ReplicateStatus as S
from workerpool.scheduler.consensus import needs_more_contributions
from workerpool.scheduler.db.tables import Replicate
from workerpool.scheduler.supply import contributed_groups, pending_weights

TASK = "0x" + "ab" * 32
H1, H2 = "0x" + "01" * 32, "0x" + "02" * 32


def replicate(status: S, *, contribution_hash: str = "", weight: int | None = 2, n: int = 0) -> Replicate:
    return Replicate(chain_task_id=TASK, worker=f"0x{n:040x}", status=status.value,
                     contribution_hash=contribution_hash, worker_weight=weight)


def test_groups_collect_the_weights_per_contributed_hash() -> None:
    rows = [replicate(S.CONTRIBUTED, contribution_hash=H1, weight=2, n=1),
            replicate(S.REVEALED, contribution_hash=H1, weight=3, n=2),
            replicate(S.CONTRIBUTED, contribution_hash=H2, weight=9, n=3),
            replicate(S.COMPUTING, n=4)]

    assert contributed_groups(rows) == {H1: [2, 3], H2: [9]}


def test_a_contribution_counts_even_if_the_worker_was_lost_afterwards() -> None:
    """The contribution is on chain: it weighs in the consensus whatever happened to the worker since."""
    rows = [replicate(S.WORKER_LOST, contribution_hash=H1, n=1)]

    assert contributed_groups(rows) == {H1: [2]}
    assert pending_weights(rows) == []


@pytest.mark.parametrize("weight", [None, 0])
def test_unknown_weight_counts_as_a_fresh_worker(weight: int | None) -> None:
    assert contributed_groups([replicate(S.CONTRIBUTED, contribution_hash=H1, weight=weight)]) == {H1: [2]}
    assert pending_weights([replicate(S.COMPUTING, weight=weight)]) == [2]


def test_no_replicates_no_groups_no_pending() -> None:
    assert contributed_groups([]) == {}
    assert pending_weights([]) == []


@pytest.mark.parametrize("status", [S.CREATED, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.DATA_DOWNLOADED,
                                    S.COMPUTING, S.COMPUTED, S.CONTRIBUTING, S.RECOVERING],
                         ids=lambda s: s.value)
def test_live_replicates_without_contribution_are_pending(status: S) -> None:
    assert pending_weights([replicate(status, weight=3)]) == [3]


@pytest.mark.parametrize("status", [S.FAILED, S.ABORTED, S.WORKER_LOST, S.COMPLETED, S.CONTRIBUTE_FAILED,
                                    S.START_FAILED, S.APP_DOWNLOAD_FAILED, S.DATA_DOWNLOAD_FAILED,
                                    S.COMPUTE_FAILED],
                         ids=lambda s: s.value)
def test_dead_or_failed_before_computed_replicates_are_not_pending(status: S) -> None:
    assert pending_weights([replicate(status, weight=3)]) == []


def test_contributed_replicates_are_not_pending() -> None:
    assert pending_weights([replicate(S.CONTRIBUTED, contribution_hash=H1)]) == []


def test_a_lost_worker_lets_the_task_ask_for_another_replicate() -> None:
    """trust 3: two fresh replicates suffice; when one is lost, the task needs a third."""
    rows = [replicate(S.COMPUTING, n=1), replicate(S.COMPUTING, n=2)]
    assert not needs_more_contributions(3, contributed_groups(rows), pending_weights(rows))

    rows[1].status = S.WORKER_LOST.value

    assert needs_more_contributions(3, contributed_groups(rows), pending_weights(rows))


@pytest.mark.parametrize("status", [S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE,
                                    S.REVEAL_TIMEOUT, S.OUT_OF_GAS, S.ABORTED_ON_CONSENSUS_REACHED,
                                    S.ABORTED_ON_CONTRIBUTION_TIMEOUT],
                         ids=lambda s: s.value)
def test_failed_or_aborted_after_computing_replicates_are_not_pending(status: S) -> None:
    assert pending_weights([replicate(status, weight=3)]) == []


def test_a_contribution_rejected_by_a_reopen_no_longer_counts() -> None:
    """trust 1 after a reopen: the silent winner's contribution is gone, so the task needs a new replicate."""
    rows = [replicate(S.REVEAL_TIMEOUT, contribution_hash=H1, n=1),
            replicate(S.ABORTED, contribution_hash=H2, weight=3, n=2)]

    assert contributed_groups(rows) == {H2: [3]}  # another hash still weighs in PoCo's total
    assert needs_more_contributions(1, contributed_groups(rows[:1]), pending_weights(rows[:1]))


def test_a_pending_replicate_older_than_the_max_execution_time_stops_counting() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0)
    young, old = replicate(S.COMPUTING, n=1), replicate(S.COMPUTING, weight=3, n=2)
    young.created_at, old.created_at = now - timedelta(seconds=299), now - timedelta(seconds=301)

    assert pending_weights([young, old], now=now, max_age_s=300) == [2]
    assert pending_weights([young, old]) == [2, 3]  # without a clock, age is not considered
