"""The worker's checks and actions with fakes: which seeds/001 status each outcome names, with which cause."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from workerpool.common.errors import TransactionFailed
from workerpool.common.hashing import ZERO_ADDRESS, result_hash, result_seal
from workerpool.common.messages import ChainReceipt, TaskNotificationExtra
from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus, TaskAbortCause
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.worker import actions, contribution
from workerpool.worker.actions import Outcome

from .stubs import DIGEST, NOW, TASK, TX_HASH, WORKER_STAKE, World, event_receipt, make_world, revealing_task, reverted

pytestmark = pytest.mark.timeout(10)


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path)
    w.computed()
    return w


def _status_and_cause(outcome: Outcome | None) -> tuple[S | None, C | None]:
    assert outcome is not None
    assert outcome.details.cause is outcome.cause
    return outcome.status, outcome.cause


# ---- contribute ------------------------------------------------------------------------------------------------

def test_contribute_check_passes_when_everything_is_in_order(world: World) -> None:
    assert contribution.contribute_check(world.ctx, world.state) is None
    assert contribution.funds_check(world.ctx, world.state) is None


@pytest.mark.parametrize(("chain", "status", "cause"), [
    ({"stake_nrlc": WORKER_STAKE - 1}, S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, C.STAKE_TOO_LOW),
    ({"task": {"status": ChainTaskStatus.REVEALING}}, S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, C.TASK_NOT_ACTIVE),
    ({"task": {"status": ChainTaskStatus.UNSET}}, S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, C.TASK_NOT_ACTIVE),
    ({"clock": NOW + 1_000}, S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE, C.CONTRIBUTION_TIMEOUT),
    ({"task": {"contributors": "me"}}, S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET,
     C.CONTRIBUTION_ALREADY_SET),
    ({"unreachable": True}, S.CONTRIBUTE_FAILED, C.CHAIN_UNREACHABLE),
], ids=["stake", "revealing", "unset", "deadline", "already-set", "unreachable"])  # fmt: skip
def test_each_cannot_contribute_cause_names_its_status(world: World, chain: dict[str, object], status: S,
                                                       cause: C) -> None:
    if "stake_nrlc" in chain:
        world.poco.stake_nrlc = int(chain["stake_nrlc"])  # type: ignore[call-overload]
    if "task" in chain:
        changes = dict(chain["task"])  # type: ignore[call-overload]
        if changes.get("contributors") == "me":
            changes["contributors"] = (world.wallet,)
        world.poco.task = replace(world.poco.task, **changes)
    if "clock" in chain:
        world.ctx.clock = lambda: float(chain["clock"])  # type: ignore[arg-type]
    world.poco.unreachable = bool(chain.get("unreachable"))

    assert _status_and_cause(contribution.contribute_check(world.ctx, world.state)) == (status, cause)


def test_the_first_cause_in_the_iexec_order_wins_and_all_are_told(world: World) -> None:
    world.poco.stake_nrlc = 0
    world.poco.task = replace(world.poco.task, status=ChainTaskStatus.REVEALING, contributors=(world.wallet,))

    outcome = contribution.contribute_check(world.ctx, world.state)

    assert _status_and_cause(outcome) == (S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, C.STAKE_TOO_LOW)
    assert outcome is not None and outcome.details.error_message == (
        "STAKE_TOO_LOW; TASK_NOT_ACTIVE; CONTRIBUTION_ALREADY_SET")


def test_missing_authorization_is_a_contribute_failure(tmp_path: Path) -> None:
    world = make_world(tmp_path, authorized=False)
    world.computed()
    world.poco.stake_nrlc = 0  # the authorization comes first in the iExec order

    outcome = contribution.contribute_check(world.ctx, world.state)

    assert _status_and_cause(outcome) == (S.CONTRIBUTE_FAILED, C.WORKERPOOL_AUTHORIZATION_NOT_FOUND)


def test_no_digest_is_a_contribute_failure(tmp_path: Path) -> None:
    world = make_world(tmp_path)  # nothing computed

    outcome = contribution.contribute_check(world.ctx, world.state)

    assert _status_and_cause(outcome) == (S.CONTRIBUTE_FAILED, C.DETERMINISM_HASH_NOT_FOUND)


def test_a_wallet_that_cannot_pay_one_transaction_is_out_of_gas(world: World) -> None:
    cap = world.ctx.settings.gas_price_cap_wei
    world.poco.sender.balance = 1_000_000 * cap - 1

    assert _status_and_cause(contribution.funds_check(world.ctx, world.state)) == (S.OUT_OF_GAS, C.OUT_OF_GAS)
    world.poco.sender.balance = 1_000_000 * cap
    assert contribution.funds_check(world.ctx, world.state) is None


def test_an_unreadable_balance_does_not_stop_the_transaction(world: World) -> None:
    world.poco.sender.balance = -1  # the stub raises ChainError

    assert contribution.funds_check(world.ctx, world.state) is None


def test_contribute_sends_hash_seal_and_authorization_and_reports_the_receipt(world: World) -> None:
    world.poco.outcomes["contribute"] = event_receipt("TaskContribute", block=42)

    outcome = contribution.contribute(world.ctx, world.state)

    assert outcome.ok and outcome.status is None
    assert outcome.details.chain_receipt == ChainReceipt(block_number=42, tx_hash=TX_HASH)
    assert world.state.authorization is not None
    fn, args, kwargs = world.poco.sent[0]
    assert (fn, args) == ("contribute", (TASK, result_hash(TASK, DIGEST), result_seal(world.wallet, TASK, DIGEST),
                                         world.state.authorization.signature))
    assert kwargs == {"enclave_challenge": ZERO_ADDRESS}  # the fixed gas limit is PocoClient's default


def test_a_reverted_contribute_is_a_failure_with_the_mined_receipt(world: World) -> None:
    world.poco.outcomes["contribute"] = reverted("contribute", block=77)

    outcome = contribution.contribute(world.ctx, world.state)

    assert not outcome.ok and outcome.cause is C.CHAIN_RECEIPT_NOT_VALID
    assert outcome.details.chain_receipt == ChainReceipt(block_number=77, tx_hash=TX_HASH)
    assert "reverted on chain" in (outcome.details.error_message or "")


def test_a_refused_send_is_a_failure_without_receipt(world: World) -> None:
    world.poco.outcomes["contribute"] = TransactionFailed("contribute was refused by the node: nonce too low")

    outcome = contribution.contribute(world.ctx, world.state)

    assert (outcome.ok, outcome.cause, outcome.details.chain_receipt) == (False, C.CHAIN_RECEIPT_NOT_VALID, None)


def test_a_receipt_without_the_event_is_not_a_contribution(world: World) -> None:
    world.poco.outcomes["contribute"] = event_receipt("TaskReveal")

    outcome = contribution.contribute(world.ctx, world.state)

    assert (outcome.ok, outcome.cause) == (False, C.CHAIN_RECEIPT_NOT_VALID)
    assert outcome.details.chain_receipt == ChainReceipt(block_number=7, tx_hash=TX_HASH)


# ---- reveal --------------------------------------------------------------------------------------------------

@pytest.fixture
def revealing(world: World) -> World:
    world.poco.task, world.poco.contribution = revealing_task(world.wallet)
    world.state.extra = TaskNotificationExtra(block_number=90)
    return world


def test_reveal_check_passes_for_a_winner(revealing: World) -> None:
    assert contribution.reveal_check(revealing.ctx, revealing.state) is None


@pytest.mark.parametrize("extra", [None, TaskNotificationExtra(), TaskNotificationExtra(block_number=0)])
def test_reveal_without_the_consensus_block_fails(revealing: World, extra: TaskNotificationExtra | None) -> None:
    revealing.state.extra = extra

    outcome = contribution.reveal_check(revealing.ctx, revealing.state)

    assert _status_and_cause(outcome) == (None, C.CONSENSUS_BLOCK_MISSING)  # None: the handler's REVEAL_FAILED


@pytest.mark.parametrize("change", ["task-active", "deadline", "not-contributed", "other-consensus", "bad-seal"])
def test_failed_reveal_checks_are_cant_reveal(revealing: World, change: str) -> None:
    task, mine = revealing.poco.task, revealing.poco.contribution
    if change == "task-active":
        task = replace(task, status=ChainTaskStatus.ACTIVE)
    elif change == "deadline":
        task = replace(task, reveal_deadline=NOW)
    elif change == "not-contributed":
        mine = replace(mine, status=ChainContributionStatus.UNSET)
    elif change == "other-consensus":
        task = replace(task, consensus_value="0x" + "99" * 32)
    else:
        mine = replace(mine, result_seal="0x" + "98" * 32)
    revealing.poco.task, revealing.poco.contribution = task, mine

    outcome = contribution.reveal_check(revealing.ctx, revealing.state)

    assert _status_and_cause(outcome) == (S.CANT_REVEAL, C.CANNOT_REVEAL)


def test_reveal_waits_for_the_consensus_block_then_gives_up(revealing: World,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contribution, "BLOCK_WAIT_STEP_S", 0.001)
    revealing.poco.block = 89

    outcome = contribution.reveal_check(revealing.ctx, revealing.state)

    assert _status_and_cause(outcome) == (None, C.BLOCK_NOT_REACHED)


def test_a_reverted_reveal_is_a_failure_with_the_mined_receipt(revealing: World) -> None:
    assert contribution.reveal_check(revealing.ctx, revealing.state) is None
    revealing.poco.outcomes["reveal"] = reverted("reveal", block=95)

    outcome = contribution.reveal(revealing.ctx, revealing.state)

    assert (outcome.ok, outcome.cause) == (False, C.CHAIN_RECEIPT_NOT_VALID)
    assert outcome.details.chain_receipt == ChainReceipt(block_number=95, tx_hash=TX_HASH)
    assert revealing.poco.sent == [("reveal", (TASK, DIGEST), {})]


def test_reveal_with_a_digest_restored_from_disk_checks_the_chain_against_it(revealing: World) -> None:
    revealing.state.digest = None  # no computed.json on disk in this world
    assert _status_and_cause(contribution.reveal_check(revealing.ctx, revealing.state)) == (
        None, C.DETERMINISM_HASH_NOT_FOUND)


# ---- upload, abort ---------------------------------------------------------------------------------------------

def test_upload_without_a_result_is_refused_before_trying(tmp_path: Path) -> None:
    world = make_world(tmp_path)

    outcome = actions.upload_check(world.ctx, world.state)

    assert _status_and_cause(outcome) == (S.RESULT_UPLOAD_REQUEST_FAILED, C.RESULT_LINK_MISSING)
    assert world.scheduler.uploads == []


def test_upload_with_a_result_passes_the_check_and_a_failed_upload_is_a_link_missing(world: World) -> None:
    assert actions.upload_check(world.ctx, world.state) is None
    world.scheduler.uploads_fail = True

    outcome = actions.upload(world.ctx, world.state)

    assert (outcome.ok, outcome.status, outcome.cause) == (False, None, C.RESULT_LINK_MISSING)
    assert world.scheduler.uploads == [world.state.dirs.zip_path.stat().st_size]


@pytest.mark.parametrize(("abort_cause", "status", "cause"), [
    (TaskAbortCause.CONSENSUS_REACHED, S.ABORTED_ON_CONSENSUS_REACHED, C.CONSENSUS_REACHED),
    (TaskAbortCause.CONTRIBUTION_TIMEOUT, S.ABORTED_ON_CONTRIBUTION_TIMEOUT, C.CONTRIBUTION_TIMEOUT),
    (TaskAbortCause.UNKNOWN, S.ABORTED, C.UNKNOWN),
    (None, S.ABORTED, C.UNKNOWN),
])  # fmt: skip
def test_abort_names_the_schedulers_cause_stops_containers_and_removes_the_folder(
        world: World, abort_cause: TaskAbortCause | None, status: S, cause: C) -> None:
    world.state.extra = TaskNotificationExtra(task_abort_cause=abort_cause) if abort_cause else None

    outcome = actions.abort(world.ctx, world.state)

    assert (outcome.ok, outcome.status, outcome.details.cause) == (True, status, cause)
    assert world.runtime.stops == [TASK]
    assert not world.state.dirs.task_dir.exists()

