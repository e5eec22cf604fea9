"""Can this worker contribute? Pure checks over facts read once from the chain (worker-spec 5.0, 6.2)."""

from __future__ import annotations

from dataclasses import dataclass

from workerpool.common.statuses import ChainTaskStatus
from workerpool.common.statuses import ReplicateStatusCause as C

__all__ = ["ContributionFacts", "cannot_contribute_causes", "has_enough_gas"]


@dataclass(frozen=True)
class ContributionFacts:
    has_authorization: bool
    chain_reachable: bool
    task_status: ChainTaskStatus | None
    contribution_deadline_s: int
    now_s: float
    already_contributed: bool
    stake_nrlc: int
    worker_stake_nrlc: int


def cannot_contribute_causes(facts: ContributionFacts) -> list[C]:
    """Every reason not to contribute, in the iExec worker's order; empty list = go."""
    causes = []
    if not facts.has_authorization:
        causes.append(C.WORKERPOOL_AUTHORIZATION_NOT_FOUND)
    if not facts.chain_reachable:
        return [*causes, C.CHAIN_UNREACHABLE]
    if facts.stake_nrlc < facts.worker_stake_nrlc:
        causes.append(C.STAKE_TOO_LOW)
    if facts.task_status is not ChainTaskStatus.ACTIVE:
        causes.append(C.TASK_NOT_ACTIVE)
    if facts.contribution_deadline_s <= facts.now_s:
        causes.append(C.CONTRIBUTION_TIMEOUT)
    if facts.already_contributed:
        causes.append(C.CONTRIBUTION_ALREADY_SET)
    return causes


def has_enough_gas(balance_wei: int, gas_price_cap_wei: int) -> bool:
    """Enough native coin for one transaction of 1,000,000 gas at the price cap (worker-spec 6.4)."""
    return balance_wei >= 1_000_000 * gas_price_cap_wei
