"""Can this worker contribute? Pure checks over chain facts (worker-spec 5.0, 6.2, 6.4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workerpool.common.statuses import ChainTaskStatus
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.worker.checks import ContributionFacts, cannot_contribute_causes, has_enough_gas

GOOD = ContributionFacts(has_authorization=True, chain_reachable=True, task_status=ChainTaskStatus.ACTIVE,
                         contribution_deadline_s=2_000, now_s=1_000.0, already_contributed=False, stake_nrlc=30,
                         worker_stake_nrlc=30)
ALL_BAD = replace(GOOD, has_authorization=False, task_status=ChainTaskStatus.REVEALING,
                  contribution_deadline_s=1_000, already_contributed=True, stake_nrlc=29)


def test_all_good_means_go() -> None:
    assert cannot_contribute_causes(GOOD) == []


def test_every_cause_in_the_iexec_worker_order() -> None:
    assert cannot_contribute_causes(ALL_BAD) == [
        C.WORKERPOOL_AUTHORIZATION_NOT_FOUND, C.STAKE_TOO_LOW, C.TASK_NOT_ACTIVE, C.CONTRIBUTION_TIMEOUT,
        C.CONTRIBUTION_ALREADY_SET]


def test_unreachable_chain_short_circuits_the_chain_checks() -> None:
    assert cannot_contribute_causes(replace(ALL_BAD, chain_reachable=False)) == [
        C.WORKERPOOL_AUTHORIZATION_NOT_FOUND, C.CHAIN_UNREACHABLE]
    assert cannot_contribute_causes(replace(GOOD, chain_reachable=False)) == [C.CHAIN_UNREACHABLE]


@pytest.mark.parametrize(("change", "cause"), [
    ({"has_authorization": False}, C.WORKERPOOL_AUTHORIZATION_NOT_FOUND),
    ({"stake_nrlc": 29}, C.STAKE_TOO_LOW),
    ({"task_status": None}, C.TASK_NOT_ACTIVE),
    ({"task_status": ChainTaskStatus.UNSET}, C.TASK_NOT_ACTIVE),
    ({"task_status": ChainTaskStatus.COMPLETED}, C.TASK_NOT_ACTIVE),
    ({"now_s": 2_000.0}, C.CONTRIBUTION_TIMEOUT),  # the deadline itself is too late
    ({"now_s": 2_500.0}, C.CONTRIBUTION_TIMEOUT),
    ({"already_contributed": True}, C.CONTRIBUTION_ALREADY_SET),
])  # fmt: skip
def test_each_fact_alone_gives_its_cause(change: dict[str, object], cause: C) -> None:
    assert cannot_contribute_causes(replace(GOOD, **change)) == [cause]  # type: ignore[arg-type]


def test_boundaries_that_still_allow_contributing() -> None:
    assert cannot_contribute_causes(replace(GOOD, now_s=1_999.9)) == []
    assert cannot_contribute_causes(replace(GOOD, stake_nrlc=30, worker_stake_nrlc=30)) == []
    assert cannot_contribute_causes(replace(GOOD, stake_nrlc=0, worker_stake_nrlc=0)) == []


def test_gas_threshold_is_one_million_gas_at_the_cap() -> None:
    cap = 22_000_000_000

    assert has_enough_gas(1_000_000 * cap, cap)
    assert not has_enough_gas(1_000_000 * cap - 1, cap)
    assert has_enough_gas(10**20, cap)
    assert not has_enough_gas(0, 1)
    assert has_enough_gas(0, 0)
