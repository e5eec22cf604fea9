"""Pure readings of a replicate's status history (spec/core-spec.md §6.1).

*Current* status = the last entry; *last relevant* status = the last entry that is not WORKER_LOST or
RECOVERING (a lost or recovering replicate still stands where its worker left it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from workerpool.common.statuses import ReplicateStatus as R

from .db.tables import Replicate

__all__ = ["last_relevant", "ever", "last_change"]

_IRRELEVANT = frozenset({R.WORKER_LOST.value, R.RECOVERING.value})


def _statuses(replicate: Replicate) -> Sequence[str]:
    # A replicate built in memory (unit tests) has no history rows yet: its current status stands alone.
    return [e.status for e in replicate.history] or [replicate.status]


def last_relevant(replicate: Replicate) -> R:
    """The last status that is not WORKER_LOST / RECOVERING (CREATED if there is none)."""
    for status in reversed(_statuses(replicate)):
        if status not in _IRRELEVANT:
            return R(status)
    return R.CREATED


def ever(replicate: Replicate, status: R) -> bool:
    """Was ``status`` ever recorded for this replicate?"""
    return status.value in _statuses(replicate)


def last_change(replicate: Replicate) -> datetime | None:
    """Date of the last status entry (the replicate's creation date when it has none)."""
    return replicate.history[-1].date if replicate.history else replicate.created_at
