"""Deal → task, and replicate supply (GET /replicates/available, spec/core-spec.md §4.3, §5)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from web3 import Web3

from workerpool.common.authorization import recover_authorization_signer
from workerpool.common.statuses import ChainTaskStatus

from .conftest import RunningScheduler
from .kit import Market, WorkerClient, buy_task, replicate_of, wait_task

pytestmark = pytest.mark.chain


@pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
def test_a_matched_deal_becomes_an_initialized_task(scheduler: RunningScheduler, market: Market) -> None:
    deal_id, chain_task_id = buy_task(market, scheduler.http, args="hello world")

    view = wait_task(scheduler.http, chain_task_id, "INITIALIZED")

    assert market.poco.view_task(chain_task_id).status is ChainTaskStatus.ACTIVE
    assert (view["chainDealId"], view["taskIndex"], view["trust"]) == (deal_id, 0, 1)
    assert (view["image"], view["commandLine"]) == (market.image, "hello world")
    history = [e["status"] for e in view["dateStatusList"]]
    assert history == ["RECEIVED", "INITIALIZING", "INITIALIZED"]
    assert view["dateStatusList"][-1]["txHash"].startswith("0x")  # the scheduler's initialize transaction
    assert view["replicates"] == []
    assert [t["chainTaskId"] for t in scheduler.http.get("/tasks").json()] == [chain_task_id]


def test_unknown_task_is_404_and_malformed_task_id_is_400(scheduler: RunningScheduler) -> None:
    assert scheduler.http.get("/tasks/0x" + "ab" * 32).status_code == 404
    assert scheduler.http.get("/tasks/0xabc").status_code == 400
    assert scheduler.http.get("/results/0x" + "ab" * 32).status_code == 404


def test_supply_gives_one_signed_replicate_for_a_trust_1_task(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient], w3: Web3) -> None:
    deal_id, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    unregistered = new_worker(register=False)
    first, second = new_worker(), new_worker()
    block = w3.eth.block_number

    # Refusals come first, while the task still needs a replicate: they are not "nothing to do".
    assert unregistered.ask(block).status_code == 204
    assert first.ask(0).status_code == 204  # a worker whose node is not synced (blockNumber 0)
    assert replicate_of_count(scheduler, chain_task_id) == 0

    auth = first.authorization(block)

    assert (auth.chain_task_id, auth.deal_id, auth.task_index, auth.worker_wallet) == (
        chain_task_id, deal_id, 0, first.wallet)
    assert recover_authorization_signer(auth) == scheduler.services.wallet
    assert replicate_of(scheduler.http, chain_task_id, first.wallet)["currentStatus"] == "CREATED"
    assert scheduler.http.get("/workers/computing", headers=first.headers).json() == [chain_task_id]
    assert first.ask(block).status_code == 204  # one replicate per worker per task
    assert second.ask(block).status_code == 204  # trust 1: one pending replicate is enough
    assert replicate_of_count(scheduler, chain_task_id) == 1


def test_available_needs_a_token(scheduler: RunningScheduler) -> None:
    assert scheduler.http.get("/replicates/available", params={"blockNumber": 1}).status_code == 401


def replicate_of_count(scheduler: RunningScheduler, chain_task_id: str) -> int:
    return len(scheduler.http.get(f"/tasks/{chain_task_id}").json()["replicates"])
