"""Status intake (ReplicateUpdater) on SQLite with a stub chain: the seeds/001 statuses are validated by the
workflow, and a worker that says it could not contribute while the chain holds its contribution is caught up."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from workerpool.chain.models import ChainContribution
from workerpool.common.errors import ChainError
from workerpool.common.hashing import ZERO_ADDRESS, ZERO_BYTES32
from workerpool.common.messages import ReplicateStatusDetails, ReplicateStatusUpdate
from workerpool.common.statuses import ChainContributionStatus, ReplicateStatusModifier
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.scheduler.db.engine import Database
from workerpool.scheduler.db.tables import Replicate, Task
from workerpool.scheduler.replicates import ReplicateUpdater
from workerpool.scheduler.results import ResultStore

pytestmark = pytest.mark.timeout(20)

TASK = "0x" + "7a" * 32
WORKER = "0x" + "5b" * 20
HASH = "0x" + "c0" * 32


class StubChain:
    def __init__(self) -> None:
        self.status = ChainContributionStatus.UNSET
        self.down = False
        self.reads = 0

    def view_contribution(self, task_id: str, worker: str) -> ChainContribution:
        self.reads += 1
        if self.down:
            raise ChainError("node down")
        result = HASH if self.status is not ChainContributionStatus.UNSET else ZERO_BYTES32
        return ChainContribution(self.status, result, ZERO_BYTES32, ZERO_ADDRESS, 0)

    def view_score(self, worker: str) -> int:
        return 0


@pytest.fixture
def chain() -> StubChain:
    return StubChain()


@pytest.fixture
def intake(tmp_path: Path, chain: StubChain) -> tuple[ReplicateUpdater, Database]:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    db.create_schema()
    with db.session() as s:
        s.add(Task(chain_task_id=TASK, deal_id=ZERO_BYTES32, task_index=0, deal_block=1, app=ZERO_ADDRESS,
                   image="app:1", trust=1, category=0, tag=ZERO_BYTES32, max_execution_time_s=300,
                   contribution_deadline=2**40, final_deadline=2**41, status="RUNNING"))
        s.add(Replicate(chain_task_id=TASK, worker=WORKER, status=S.CREATED.value))
    updater = ReplicateUpdater(db, cast(Any, chain), ResultStore(tmp_path / "results"), on_update=lambda t: None,
                               confirm_tries=1)
    return updater, db


def _report(updater: ReplicateUpdater, status: S, cause: C | None = None) -> tuple[int, N | None]:
    details = ReplicateStatusDetails(cause=cause) if cause else None
    code, answer = updater.update(WORKER, TASK, ReplicateStatusUpdate(status=status, details=details))
    return code, answer.next_action


def _history(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        replicate = s.query(Replicate).one()
        return [(e.status, e.modifier) for e in replicate.history]


def _computed(updater: ReplicateUpdater) -> None:
    for status in (S.RUNNING, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED, S.DATA_DOWNLOADING,
                   S.DATA_DOWNLOADED, S.COMPUTING, S.COMPUTED):
        assert _report(updater, status)[0] == 200, status


def test_running_is_accepted_after_created_only(intake: tuple[ReplicateUpdater, Database]) -> None:
    updater, _ = intake

    assert _report(updater, S.RUNNING) == (200, N.PLEASE_CONTINUE)
    assert _report(updater, S.RUNNING) == (208, N.PLEASE_WAIT)
    assert _report(updater, S.STARTED)[0] == 409


def test_can_contribute_then_out_of_gas_is_aborted(intake: tuple[ReplicateUpdater, Database]) -> None:
    updater, db = intake
    _computed(updater)

    assert _report(updater, S.CAN_CONTRIBUTE) == (200, N.PLEASE_CONTINUE)
    assert _report(updater, S.OUT_OF_GAS, C.OUT_OF_GAS) == (200, N.PLEASE_ABORT)
    assert _report(updater, S.ABORTED, C.UNKNOWN) == (200, None)
    assert [status for status, _ in _history(db)][-3:] == ["CAN_CONTRIBUTE", "OUT_OF_GAS", "ABORTED"]


@pytest.mark.parametrize(("status", "cause"), [
    (S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, C.TASK_NOT_ACTIVE),
    (S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET, C.CONTRIBUTION_ALREADY_SET),
    (S.CONTRIBUTE_FAILED, C.CHAIN_RECEIPT_NOT_VALID),
])  # fmt: skip
def test_an_unnotified_contribution_is_caught_up(intake: tuple[ReplicateUpdater, Database], chain: StubChain,
                                                 status: S, cause: C) -> None:
    updater, db = intake
    _computed(updater)
    if status is S.CONTRIBUTE_FAILED:
        _report(updater, S.CONTRIBUTING)
    chain.status = ChainContributionStatus.CONTRIBUTED

    assert _report(updater, status, cause) == (200, N.PLEASE_WAIT)  # wait for PLEASE_REVEAL, do not abort

    assert _history(db)[-2:] == [(status.value, ReplicateStatusModifier.WORKER.value),
                                 (S.CONTRIBUTED.value, ReplicateStatusModifier.POOL_MANAGER.value)]
    with db.session() as s:
        replicate = s.query(Replicate).one()
        assert (replicate.status, replicate.contribution_hash) == (S.CONTRIBUTED.value, HASH)
    assert _report(updater, S.CONTRIBUTED) == (208, N.PLEASE_WAIT)  # the worker's own report is a replay


@pytest.mark.parametrize("down", [False, True], ids=["not-on-chain", "chain-down"])
def test_no_catch_up_without_an_on_chain_contribution(intake: tuple[ReplicateUpdater, Database],
                                                      chain: StubChain, down: bool) -> None:
    updater, db = intake
    _computed(updater)
    chain.down = down

    assert _report(updater, S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, C.TASK_NOT_ACTIVE) == (200, N.PLEASE_ABORT)
    assert _history(db)[-1][0] == S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE.value


def test_other_refusals_do_not_read_the_chain(intake: tuple[ReplicateUpdater, Database], chain: StubChain) -> None:
    updater, _ = intake
    _computed(updater)
    chain.status = ChainContributionStatus.CONTRIBUTED

    assert _report(updater, S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, C.STAKE_TOO_LOW) == (200, N.PLEASE_ABORT)
    assert chain.reads == 0
