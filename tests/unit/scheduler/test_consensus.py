"""Consensus arithmetic mirrored from PoCo (poco-spec §4) and the supply prediction (core-spec §7.2)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workerpool.scheduler.consensus import consensus_reached, needs_more_contributions, worker_weight

FRESH = worker_weight(0)


@pytest.mark.parametrize(("score", "weight"), [(0, 2), (5, 2), (11, 2), (12, 3), (14, 3), (15, 4), (30, 9)])
def test_worker_weight(score: int, weight: int) -> None:
    assert worker_weight(score) == weight


def test_trust_3_needs_two_agreeing_fresh_workers() -> None:
    assert not consensus_reached(2, 3, 3)  # 2·3 = 6 is not > 3·2 = 6
    assert consensus_reached(4, 5, 3)  # 12 > 10


def test_trust_4_with_one_dissenter_reaches_consensus_at_the_fourth_agreeing_worker() -> None:
    """poco-spec §4: groups 2, 4, 8, 16 against totals 5, 7, 11, 19 (the dissenter adds 2 to every total)."""
    steps = [(2, 5), (4, 7), (8, 11), (16, 19)]

    assert [consensus_reached(group, total, 4) for group, total in steps] == [False, False, False, True]


def test_trust_below_one_counts_as_one() -> None:
    assert consensus_reached(2, 3, 0) and consensus_reached(2, 3, 1)
    assert not consensus_reached(0, 1, 0)


def _fresh_replicates_needed(trust: int) -> int:
    """How many fresh replicates the supply hands out before it stops asking for more."""
    pending: list[int] = []
    while needs_more_contributions(trust, {}, pending):
        pending.append(FRESH)
        assert len(pending) < 64
    return len(pending)


@pytest.mark.parametrize(("trust", "replicates"), [(0, 1), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (9, 4),
                                                   (10, 4), (16, 4), (17, 5), (100, 7)])
def test_fresh_replicates_needed_per_trust(trust: int, replicates: int) -> None:
    assert _fresh_replicates_needed(trust) == replicates


@pytest.mark.parametrize("trust", range(1, 130))
def test_fresh_replicates_follow_the_power_of_two_rule(trust: int) -> None:
    """n fresh agreeing workers reach consensus iff 2^n >= trust (poco-spec §4), at least one replicate."""
    assert _fresh_replicates_needed(trust) == max(1, math.ceil(math.log2(trust)))


def test_nothing_handed_out_means_more_is_needed() -> None:
    assert needs_more_contributions(1, {}, [])


def test_contributions_count_like_pending_replicates() -> None:
    assert needs_more_contributions(3, {"0xh": [FRESH]}, [])
    assert not needs_more_contributions(3, {"0xh": [FRESH]}, [FRESH])
    assert not needs_more_contributions(3, {"0xh": [FRESH, FRESH]}, [])


def test_a_dissenter_makes_the_task_need_more() -> None:
    """trust 4 (poco-spec §4): with one dissenter, three agreeing are not enough, a fourth pending is."""
    three_agree = {"0xbad": [FRESH], "0xgood": [FRESH, FRESH, FRESH]}

    assert needs_more_contributions(4, three_agree, [])
    assert not needs_more_contributions(4, three_agree, [FRESH])
    assert needs_more_contributions(4, {"0xbad": [FRESH], "0xgood": [FRESH, FRESH]}, [FRESH])


def test_a_high_score_worker_can_be_enough_alone() -> None:
    strong = worker_weight(30)

    assert not needs_more_contributions(9, {}, [strong])
    assert needs_more_contributions(10, {}, [strong])


weights = st.integers(min_value=0, max_value=60).map(worker_weight)


@given(trust=st.integers(min_value=0, max_value=200),
       contributed=st.dictionaries(st.sampled_from(["0xa", "0xb", "0xc"]), st.lists(weights, min_size=1, max_size=4),
                                   max_size=3),
       pending=st.lists(weights, max_size=5), extra=weights)
def test_one_more_pending_replicate_never_makes_the_task_need_more(
    trust: int, contributed: dict[str, list[int]], pending: list[int], extra: int
) -> None:
    before = needs_more_contributions(trust, contributed, pending)
    after = needs_more_contributions(trust, contributed, [*pending, extra])

    assert not (before is False and after is True)
