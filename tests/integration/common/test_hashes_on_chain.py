"""The PoCo hash formulas of workerpool.common, checked against the genuine PoCo on a Hardhat node.

One deterministic scenario (tests/unit/common/vectors.py) is played on chain: the hub's own bookkeeping
(deal id of OrdersMatched, consumed volume per order hash, task record, contribution record, reveal checks)
must agree with the pure functions, and with the constants the unit tests pin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.unit.common import vectors as v
from workerpool.chain.devchain.accounts import create_app, create_workerpool, fund_account, sender_for
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.models import ChainTask
from workerpool.chain.poco import PocoClient
from workerpool.common.authorization import sign_authorization
from workerpool.common.errors import TransactionFailed
from workerpool.common.hashing import ZERO_BYTES32, result_hash, result_seal, task_id
from workerpool.common.orders import DatasetOrder, deal_id, order_hash, sign_order
from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus

pytestmark = [pytest.mark.chain, pytest.mark.timeout(60)]


@dataclass(frozen=True)
class Scenario:
    hub: PocoClient
    scheduler: LocalAccount
    worker: LocalAccount
    deal_id: str
    task_id: str
    #: The task as read right after initialize (later tests move it on).
    initialized: ChainTask


@pytest.fixture(scope="module")
def scenario(w3: Web3, deployment: Deployment, admin: LocalAccount) -> Scenario:
    """Register the app and pool, fund everyone, match the orders and initialize task 0."""
    app_owner, scheduler = v.account("app-owner"), v.account("scheduler")
    requester, worker = v.account("requester"), v.account("worker")
    for who in (app_owner, scheduler, requester, worker):
        fund_account(w3, deployment, admin, who)
    app = create_app(w3, deployment, app_owner, name="hash-vectors-app", image=v.APP_IMAGE)
    pool = create_workerpool(w3, deployment, scheduler, v.POOL_DESCRIPTION)
    # The scenario is deterministic: same hub, same CREATE2 addresses as pinned for the unit tests.
    assert (deployment.chain_id, deployment.hub, app, pool) == (v.CHAIN_ID, v.HUB, v.APP, v.WORKERPOOL)
    assert (scheduler.address.lower(), worker.address.lower()) == (v.SCHEDULER, v.WORKER)
    domain = v.domain()
    orders = (
        sign_order(v.app_order(), domain, app_owner.key),
        DatasetOrder(),
        sign_order(v.workerpool_order(), domain, scheduler.key),
        sign_order(v.request_order(), domain, requester.key),
    )
    hub = PocoClient(w3, deployment.hub, sender=sender_for(w3, requester))
    deal, _ = hub.match_orders(*orders)
    scheduler_hub = hub.with_sender(sender_for(w3, scheduler))
    receipt = scheduler_hub.initialize(deal, 0)
    tid = task_id(deal, 0)
    assert PocoClient.receipt_has_event(receipt, "TaskInitialize", tid)  # task_id == the hub's taskid
    return Scenario(hub=scheduler_hub, scheduler=scheduler, worker=worker, deal_id=deal, task_id=tid,
                    initialized=scheduler_hub.view_task(tid))


def _worker_hub(w3: Web3, s: Scenario) -> PocoClient:
    return s.hub.with_sender(sender_for(w3, s.worker))


def test_deal_id_is_derived_from_our_request_order_hash(scenario: Scenario) -> None:
    request_hash = order_hash(v.request_order(), v.domain())

    assert scenario.deal_id == deal_id(request_hash, 0) == v.DEAL_ID
    assert request_hash == v.REQUEST_ORDER_HASH


@pytest.mark.parametrize(
    ("build", "pinned"),
    [(v.app_order, v.APP_ORDER_HASH), (v.workerpool_order, v.WORKERPOOL_ORDER_HASH),
     (v.request_order, v.REQUEST_ORDER_HASH)],
    ids=["app", "workerpool", "request"],
)
def test_the_hub_consumed_each_order_under_our_hash(scenario: Scenario, build: object, pinned: str) -> None:
    ours = order_hash(build(), v.domain())  # type: ignore[operator]

    assert ours == pinned
    assert scenario.hub.view_consumed(ours) == 1
    assert scenario.hub.view_consumed(ZERO_BYTES32) == 0  # an unknown hash reads 0: the 1 above is meaningful


def test_initialized_task_is_active_under_our_task_id(scenario: Scenario) -> None:
    task = scenario.initialized

    assert scenario.task_id == v.TASK_ID
    assert task.status is ChainTaskStatus.ACTIVE
    assert (task.deal_id, task.idx) == (v.DEAL_ID, 0)
    assert scenario.hub.view_task(task_id(scenario.deal_id, 1)).status is ChainTaskStatus.UNSET


def _authorize(s: Scenario, *, key: object, worker: str, enclave: str | None = None) -> str:
    extra = {"enclave_challenge": enclave} if enclave else {}
    auth = sign_authorization(chain_task_id=s.task_id, deal_id=s.deal_id, task_index=0, worker_wallet=worker,
                              private_key=key, **extra)
    return auth.signature


def test_contribute_and_reveal_follow_our_formulas(w3: Web3, scenario: Scenario) -> None:
    hub, worker = _worker_hub(w3, scenario), scenario.worker.address.lower()
    rhash = result_hash(scenario.task_id, v.RESULT_DIGEST)
    seal = result_seal(worker, scenario.task_id, v.RESULT_DIGEST)
    assert (rhash, seal) == (v.RESULT_HASH, v.RESULT_SEAL)

    # Refused: signed by someone who is not the pool owner; signed by the owner for another worker; signed
    # for an enclave challenge the worker does not send (each field is part of the authorization hash).
    forged = {
        "not the owner": _authorize(scenario, key=v.account("forger").key, worker=worker),
        "other worker": _authorize(scenario, key=scenario.scheduler.key, worker=v.account("forger").address),
        "other enclave": _authorize(scenario, key=scenario.scheduler.key, worker=worker,
                                    enclave="0x9a43bb008b7a657e1936ebf5d8e28e5c5e021596"),
    }
    for why, signature in forged.items():
        with pytest.raises(TransactionFailed):
            hub.contribute(scenario.task_id, rhash, seal, signature)
        assert scenario.hub.view_contribution(scenario.task_id, worker).status is ChainContributionStatus.UNSET, why

    genuine = _authorize(scenario, key=scenario.scheduler.key, worker=worker)
    assert genuine == v.AUTHORIZATION_SIGN
    receipt = hub.contribute(scenario.task_id, rhash, seal, genuine)

    assert PocoClient.receipt_has_event(receipt, "TaskContribute", scenario.task_id)
    contribution = scenario.hub.view_contribution(scenario.task_id, worker)
    assert (contribution.status, contribution.result_hash, contribution.result_seal) == (
        ChainContributionStatus.CONTRIBUTED, rhash, seal)
    task = scenario.hub.view_task(scenario.task_id)
    assert (task.status, task.consensus_value) == (ChainTaskStatus.REVEALING, rhash)  # trust 1: alone wins

    # reveal checks resultHash == H(taskid ‖ digest) and resultSeal == H(worker ‖ taskid ‖ digest).
    with pytest.raises(TransactionFailed):
        hub.reveal(scenario.task_id, ZERO_BYTES32)
    receipt = hub.reveal(scenario.task_id, v.RESULT_DIGEST)

    assert PocoClient.receipt_has_event(receipt, "TaskReveal", scenario.task_id)
    assert scenario.hub.view_contribution(scenario.task_id, worker).status is ChainContributionStatus.PROVED
    assert scenario.hub.view_task(scenario.task_id).result_digest == v.RESULT_DIGEST
