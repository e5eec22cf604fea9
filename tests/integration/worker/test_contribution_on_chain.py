"""The worker's contribution statuses on the genuine PoCo (Hardhat): a reverting contribute comes back as
CONTRIBUTE_FAILED with the mined receipt, an empty wallet as OUT_OF_GAS, a genuine one as CONTRIBUTED/REVEALED.

The scheduler is the unit tests' stub applying the real workflow; the chain, the hub and the transactions are real.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.unit.worker.stubs import StubScheduler
from workerpool.chain.devchain.accounts import create_app, create_workerpool, fund_account, sender_for
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.poco import PocoClient
from workerpool.common.authorization import sign_authorization
from workerpool.common.hashing import task_id
from workerpool.common.messages import TaskNotification, TaskNotificationExtra
from workerpool.common.orders import AppOrder, DatasetOrder, Domain, RequestOrder, WorkerpoolOrder, sign_order
from workerpool.common.statuses import ChainContributionStatus
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.compute.fake import FakeRuntime
from workerpool.compute.layout import TaskDirs
from workerpool.worker.actions import ReplicateState
from workerpool.worker.config import WorkerSettings
from workerpool.worker.context import WorkerContext
from workerpool.worker.description import load_description
from workerpool.worker.metrics import WorkerMetrics
from workerpool.worker.runner import TaskRunner

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

TO_COMPUTED = [S.CREATED, S.RUNNING, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED,
               S.DATA_DOWNLOADING, S.DATA_DOWNLOADED, S.COMPUTING, S.COMPUTED]
DIGEST = "0x" + "5e" * 32


@dataclass(frozen=True)
class ActiveTask:
    hub: PocoClient
    scheduler: LocalAccount
    deal_id: str
    task_id: str


@dataclass(frozen=True)
class Market:
    app_owner: LocalAccount
    scheduler: LocalAccount
    requester: LocalAccount
    app: str
    pool: str
    domain: Domain


@pytest.fixture(scope="module")
def market(w3: Web3, deployment: Deployment, admin: LocalAccount) -> Market:
    """A funded app owner, pool (with its scheduler) and requester, registered once for the module."""
    label = secrets.token_hex(4)
    app_owner, scheduler, requester = Account.create(), Account.create(), Account.create()
    for who in (app_owner, scheduler, requester):
        fund_account(w3, deployment, admin, who)
    app = create_app(w3, deployment, app_owner, name=f"worker-statuses-{label}", image="stub/app:1")
    pool = create_workerpool(w3, deployment, scheduler, f"worker-statuses-{label}")
    return Market(app_owner, scheduler, requester, app, pool, Domain(chain_id=deployment.chain_id, hub=deployment.hub))


@pytest.fixture
def active_task(w3: Web3, deployment: Deployment, market: Market) -> ActiveTask:
    """A fresh trust-1 task, initialized on chain by the pool's scheduler (free, so the worker stake is 0)."""
    m, requester = market, market.requester.address.lower()
    orders = (
        sign_order(AppOrder(app=m.app), m.domain, m.app_owner.key),
        DatasetOrder(),
        sign_order(WorkerpoolOrder(workerpool=m.pool, category=0, trust=1), m.domain, m.scheduler.key),
        sign_order(RequestOrder(app=m.app, workerpool=m.pool, requester=requester, category=0, trust=1,
                                beneficiary=requester, params='{"iexec_args":"statuses"}'), m.domain,
                   m.requester.key),
    )
    deal, _ = PocoClient(w3, deployment.hub, sender=sender_for(w3, m.requester)).match_orders(*orders)
    hub = PocoClient(w3, deployment.hub, sender=sender_for(w3, m.scheduler))
    hub.initialize(deal, 0)
    return ActiveTask(hub=hub, scheduler=m.scheduler, deal_id=deal, task_id=task_id(deal, 0))


def _runner(w3: Web3, tmp_path: Path, task: ActiveTask, worker: LocalAccount, *, signer: LocalAccount
            ) -> tuple[TaskRunner, StubScheduler]:
    """A worker whose replicate is COMPUTED (digest known), holding an authorization signed by ``signer``."""
    scheduler = StubScheduler()
    scheduler.history = [(status, None) for status in TO_COMPUTED]
    poco = task.hub.with_sender(sender_for(w3, worker))
    settings = WorkerSettings(base_dir=tmp_path, worker_name="chain-worker")
    ctx = WorkerContext(settings=settings, account=worker, client=cast(Any, scheduler), poco=poco,
                        runtime=FakeRuntime(), pool="", pool_owner=task.scheduler.address.lower(),
                        metrics=WorkerMetrics())
    wallet = worker.address.lower()
    state = ReplicateState(task.task_id, TaskDirs.for_task(tmp_path, settings.worker_name, task.task_id),
                           wallet=wallet, description=load_description(poco, task.task_id), digest=DIGEST,
                           authorization=sign_authorization(chain_task_id=task.task_id, deal_id=task.deal_id,
                                                            task_index=0, worker_wallet=wallet,
                                                            private_key=signer.key))
    state.dirs.create()
    return TaskRunner(ctx, state, on_end=lambda task_id: None), scheduler


def _notify(task: ActiveTask, kind: N, **extra: Any) -> TaskNotification:
    return TaskNotification(chain_task_id=task.task_id, task_notification_type=kind,
                            task_notification_extra=TaskNotificationExtra(**extra) if extra else None)


def test_a_reverting_contribute_is_reported_with_its_mined_receipt(
        w3: Web3, deployment: Deployment, admin: LocalAccount, active_task: ActiveTask, tmp_path: Path) -> None:
    worker = Account.create()
    fund_account(w3, deployment, admin, worker)
    runner, scheduler = _runner(w3, tmp_path, active_task, worker, signer=Account.create())  # forged

    runner.handle(_notify(active_task, N.PLEASE_CONTRIBUTE))

    assert scheduler.statuses == [*TO_COMPUTED, S.CAN_CONTRIBUTE, S.CONTRIBUTING, S.CONTRIBUTE_FAILED, S.ABORTED]
    details = scheduler.details(S.CONTRIBUTE_FAILED)
    assert details.cause is C.CHAIN_RECEIPT_NOT_VALID and details.chain_receipt is not None
    mined = w3.eth.get_transaction_receipt(details.chain_receipt.tx_hash)  # type: ignore[arg-type]
    assert mined["status"] == 0 and mined["blockNumber"] == details.chain_receipt.block_number > 0
    assert mined["gasUsed"] <= 500_000  # the fixed contribute gas limit, no estimate
    contribution = active_task.hub.view_contribution(active_task.task_id, worker.address)
    assert contribution.status is ChainContributionStatus.UNSET


def test_a_worker_without_eth_is_out_of_gas_and_sends_nothing(
        w3: Web3, active_task: ActiveTask, tmp_path: Path) -> None:
    worker = Account.create()  # no ETH, no stake (the task's worker stake is 0)
    runner, scheduler = _runner(w3, tmp_path, active_task, worker, signer=active_task.scheduler)

    runner.handle(_notify(active_task, N.PLEASE_CONTRIBUTE))

    assert scheduler.statuses == [*TO_COMPUTED, S.CAN_CONTRIBUTE, S.OUT_OF_GAS, S.ABORTED]
    assert scheduler.details(S.OUT_OF_GAS).cause is C.OUT_OF_GAS
    assert w3.eth.get_transaction_count(worker.address) == 0


def test_a_genuine_worker_contributes_and_reveals(
        w3: Web3, deployment: Deployment, admin: LocalAccount, active_task: ActiveTask, tmp_path: Path) -> None:
    worker = Account.create()
    fund_account(w3, deployment, admin, worker)
    runner, scheduler = _runner(w3, tmp_path, active_task, worker, signer=active_task.scheduler)

    runner.handle(_notify(active_task, N.PLEASE_CONTRIBUTE))
    consensus_block = scheduler.details(S.CONTRIBUTED).chain_receipt
    assert consensus_block is not None  # trust 1: this contribution reaches the consensus
    runner.handle(_notify(active_task, N.PLEASE_REVEAL, block_number=consensus_block.block_number))

    assert scheduler.statuses == [*TO_COMPUTED, S.CAN_CONTRIBUTE, S.CONTRIBUTING, S.CONTRIBUTED, S.REVEALING,
                                  S.REVEALED]
    revealed = scheduler.details(S.REVEALED).chain_receipt
    assert revealed is not None and revealed.block_number > consensus_block.block_number
    contribution = active_task.hub.view_contribution(active_task.task_id, worker.address)
    assert contribution.status is ChainContributionStatus.PROVED
