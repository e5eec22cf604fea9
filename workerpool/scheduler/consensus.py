"""Consensus arithmetic mirrored from PoCo (spec/poco-spec.md §4), pure.

The scheduler uses it to predict whether a task needs one more replicate: pending replicates are assumed
to agree with the strongest group, as the iExec core does (spec/core-spec.md §7.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["worker_weight", "consensus_reached", "needs_more_contributions"]


def worker_weight(score: int) -> int:
    """PoCo weight of a worker: ``max(score // 3, 3) - 1`` (2 for a fresh worker)."""
    return max(score // 3, 3) - 1


def consensus_reached(group: int, total: int, trust: int) -> bool:
    """PoCo's test ``group × trust > total × (trust − 1)`` with trust ≥ 1."""
    trust = max(trust, 1)
    return group * trust > total * (trust - 1)


def _group_value(weights: Iterable[int]) -> int:
    value = 0
    for w in weights:
        value = max(value, 1) * w
    return value


def needs_more_contributions(trust: int, contributed: Mapping[str, list[int]], pending_weights: list[int]) -> bool:
    """Does the task need one more replicate?

    Parameters:
        trust: the deal's trust (≥ 1).
        contributed: result hash → weights of the workers that contributed it on chain.
        pending_weights: weights of replicates handed out that have not contributed yet and still may.

    Returns:
        True when even if every pending replicate agreed with the strongest group, PoCo would not reach
        consensus.
    """
    groups = {h: _group_value(ws) for h, ws in contributed.items()}
    best = max(groups.values(), default=0)
    best_with_pending = _group_value(([best] if best else []) + pending_weights) if pending_weights else best
    total = 1 + sum(groups.values()) - best + best_with_pending
    return not consensus_reached(best_with_pending, total, trust) if best_with_pending else True
