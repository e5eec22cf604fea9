"""Stand-ins for the worker's outside systems: a PoCo hub, a wallet sender and a scheduler that applies the
real replicate workflow (workerpool.scheduler.workflow), so a test sees exactly what a scheduler would accept."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from workerpool.chain.models import ChainContribution, ChainDeal, ChainTask
from workerpool.chain.poco import EVENT_TOPICS, PocoClient
from workerpool.chain.tx import TxReceipt
from workerpool.common.authorization import sign_authorization
from workerpool.common.errors import ChainError, SchedulerError, TransactionFailed
from workerpool.common.hashing import ZERO_ADDRESS, ZERO_BYTES32, result_hash, result_seal
from workerpool.common.messages import ReplicateStatusDetails, ReplicateStatusUpdate, UpdateAnswer
from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus, ReplicateStatus
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.compute.fake import FakeRuntime
from workerpool.compute.layout import TaskDirs
from workerpool.scheduler.workflow import REPEATABLE, can_transition, next_action
from workerpool.worker.actions import ReplicateState
from workerpool.worker.config import WorkerSettings
from workerpool.worker.context import WorkerContext
from workerpool.worker.description import TaskDescription
from workerpool.worker.metrics import WorkerMetrics

S = ReplicateStatus
NOW = 1_700_000_000
TASK = "0x" + keccak(b"stub task").hex()
DEAL = "0x" + keccak(b"stub deal").hex()
DIGEST = "0x" + keccak(b"stub digest").hex()
IMAGE = "stub/app:1"
WORKER_STAKE = 30
TX_HASH = "0x" + "ab" * 32
OWNER: LocalAccount = Account.from_key(keccak(b"workerpool-tests/stub-pool-owner"))
WORKER: LocalAccount = Account.from_key(keccak(b"workerpool-tests/stub-worker"))


def event_receipt(event: str, task_id: str = TASK, *, block: int = 7, tx_hash: str = TX_HASH) -> TxReceipt:
    """A mined receipt holding ``event`` for ``task_id`` (what receipt_has_event looks for)."""
    log = {"topics": [bytes.fromhex(EVENT_TOPICS[event][2:]), bytes.fromhex(task_id[2:])]}
    return TxReceipt(tx_hash=tx_hash, block_number=block, status=1, gas_used=21_000, contract_address=None,
                     raw={"logs": [log]})


def reverted(what: str, *, block: int = 9) -> TransactionFailed:
    """What TxSender raises for a transaction mined with status 0."""
    return TransactionFailed(f"{what} reverted on chain in tx {TX_HASH}", tx_hash=TX_HASH,
                             receipt={"blockNumber": block, "status": 0, "transactionHash": TX_HASH})


def chain_task(**changes: Any) -> ChainTask:
    task = ChainTask(task_id=TASK, status=ChainTaskStatus.ACTIVE, deal_id=DEAL, idx=0, timeref=300,
                     contribution_deadline=NOW + 1_000, reveal_deadline=0, final_deadline=NOW + 2_000,
                     consensus_value=ZERO_BYTES32, reveal_counter=0, winner_counter=0, contributors=(),
                     result_digest=ZERO_BYTES32, results=b"")
    return replace(task, **changes)


def revealing_task(wallet: str, digest: str = DIGEST) -> tuple[ChainTask, ChainContribution]:
    """The chain once consensus is reached on ``digest`` with ``wallet``'s contribution."""
    h = result_hash(TASK, digest)
    task = chain_task(status=ChainTaskStatus.REVEALING, consensus_value=h, reveal_deadline=NOW + 500,
                      contributors=(wallet,))
    mine = ChainContribution(status=ChainContributionStatus.CONTRIBUTED, result_hash=h,
                             result_seal=result_seal(wallet, TASK, digest), enclave_challenge=ZERO_ADDRESS, weight=1)
    return task, mine


class StubSender:
    def __init__(self, balance_wei: int = 10**20):
        self.balance = balance_wei

    def balance_wei(self) -> int:
        if self.balance < 0:
            raise ChainError("eth_getBalance failed")
        return self.balance


@dataclass
class StubPoco:
    """The few PoCo reads and writes the worker actions use; transactions answer from ``outcomes``."""

    task: ChainTask = field(default_factory=chain_task)
    contribution: ChainContribution = field(default_factory=lambda: ChainContribution(
        ChainContributionStatus.UNSET, ZERO_BYTES32, ZERO_BYTES32, ZERO_ADDRESS, 0))
    stake_nrlc: int = 100
    block: int = 100
    sender: StubSender = field(default_factory=StubSender)
    #: what contribute / reveal do: an exception to raise, else the receipt of their event
    outcomes: dict[str, Exception | TxReceipt] = field(default_factory=dict)
    sent: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    unreachable: bool = False

    receipt_has_event = staticmethod(PocoClient.receipt_has_event)

    def _read(self) -> None:
        if self.unreachable:
            raise ChainError("node down")

    def view_task(self, task_id: str) -> ChainTask:
        self._read()
        return self.task

    def view_account(self, address: str) -> tuple[int, int]:
        self._read()
        return self.stake_nrlc, 0

    def view_contribution(self, task_id: str, worker: str) -> ChainContribution:
        self._read()
        return self.contribution

    def block_number(self) -> int:
        return self.block

    def _tx(self, fn: str, event: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TxReceipt:
        self.sent.append((fn, args, kwargs))
        outcome = self.outcomes.get(fn, event_receipt(event))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def contribute(self, *args: Any, **kwargs: Any) -> TxReceipt:
        return self._tx("contribute", "TaskContribute", args, kwargs)

    def reveal(self, *args: Any, **kwargs: Any) -> TxReceipt:
        return self._tx("reveal", "TaskReveal", args, kwargs)


class StubScheduler:
    """The scheduler's status intake in miniature: 208 for a repeat, 409 for a bad transition, else 200 and
    the workflow's next action. Records every accepted status with its details."""

    def __init__(self, *, uploads_fail: bool = False):
        self.history: list[tuple[ReplicateStatus, ReplicateStatusDetails | None]] = [(S.CREATED, None)]
        self.refused: list[ReplicateStatus] = []
        self.uploads: list[int] = []
        self.uploads_fail = uploads_fail
        self._lock = threading.Lock()

    @property
    def statuses(self) -> list[ReplicateStatus]:
        return [status for status, _ in self.history]

    def details(self, status: ReplicateStatus) -> ReplicateStatusDetails:
        found = [d for s, d in self.history if s is status]
        assert found and found[-1] is not None, f"{status.value} reported without details"
        return found[-1]

    def pool_manager(self, status: ReplicateStatus) -> None:
        """A status the scheduler records itself (RESULT_UPLOAD_REQUESTED, ...)."""
        assert can_transition(self.history[-1][0], status)
        self.history.append((status, None))

    def update_status(self, chain_task_id: str, update: ReplicateStatusUpdate) -> tuple[int, UpdateAnswer]:
        with self._lock:
            status = update.status
            if status in self.statuses and status not in REPEATABLE:
                return 208, UpdateAnswer(next_action=N.PLEASE_WAIT, reason="already reported")
            if not can_transition(self.history[-1][0], status):
                self.refused.append(status)
                return 409, UpdateAnswer(accepted=False, reason="bad transition")
            self.history.append((status, update.details))
            cause = update.details.cause if update.details else None
            return 200, UpdateAnswer(next_action=next_action(status, cause))

    def upload_result(self, chain_task_id: str, zip_bytes: bytes) -> str:
        self.uploads.append(len(zip_bytes))
        if self.uploads_fail:
            raise SchedulerError("result upload answered HTTP 500")
        return f"http://results/{chain_task_id}"


@dataclass
class World:
    """One worker with one task: context, state and the stubs behind them."""

    ctx: WorkerContext
    state: ReplicateState
    poco: StubPoco
    scheduler: StubScheduler
    runtime: FakeRuntime

    @property
    def wallet(self) -> str:
        return self.ctx.wallet

    def computed(self) -> None:
        """The task is computed: a result zip and its digest exist."""
        self.state.dirs.create()
        self.state.dirs.zip_path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
        self.state.digest = DIGEST


def description(**deal_changes: Any) -> TaskDescription:
    deal = ChainDeal(deal_id=DEAL, app="0x" + "11" * 20, app_owner=OWNER.address.lower(), app_price=0,
                     dataset=ZERO_ADDRESS, dataset_price=0, workerpool="0x" + "22" * 20,
                     workerpool_owner=OWNER.address.lower(), workerpool_price=0, trust=1, category=0,
                     tag=ZERO_BYTES32, requester="0x" + "33" * 20, beneficiary="0x" + "33" * 20,
                     callback=ZERO_ADDRESS, params='{"iexec_args":"hello"}', start_time=NOW - 100, bot_first=0,
                     bot_size=1, worker_stake=WORKER_STAKE, scheduler_reward_ratio=1)
    deal = replace(deal, **deal_changes)
    return TaskDescription(chain_task_id=TASK, deal_id=DEAL, task_index=0, deal=deal, image=IMAGE, app_type="DOCKER",
                           max_execution_time_s=300, contribution_deadline_s=NOW + 1_000, final_deadline_s=NOW + 2_000)


def make_world(base_dir: Path, *, runtime: FakeRuntime | None = None, authorized: bool = True) -> World:
    poco, scheduler = StubPoco(), StubScheduler()
    runtime = runtime or FakeRuntime()
    settings = WorkerSettings(base_dir=base_dir, worker_name="stub-worker")
    ctx = WorkerContext(settings=settings, account=WORKER, client=cast(Any, scheduler), poco=cast(Any, poco),
                        runtime=runtime, pool="0x" + "22" * 20, pool_owner=OWNER.address.lower(),
                        metrics=WorkerMetrics(), clock=lambda: float(NOW))
    dirs = TaskDirs.for_task(base_dir, settings.worker_name, TASK)
    auth = sign_authorization(chain_task_id=TASK, deal_id=DEAL, task_index=0, worker_wallet=ctx.wallet,
                              private_key=OWNER.key) if authorized else None
    state = ReplicateState(TASK, dirs, wallet=ctx.wallet, authorization=auth, description=description())
    return World(ctx=ctx, state=state, poco=poco, scheduler=scheduler, runtime=runtime)


__all__ = ["NOW", "TASK", "DEAL", "DIGEST", "IMAGE", "WORKER_STAKE", "TX_HASH", "OWNER", "WORKER",
           "event_receipt", "reverted", "chain_task", "revealing_task", "StubSender", "StubPoco", "StubScheduler",
           "World", "description", "make_world"]
