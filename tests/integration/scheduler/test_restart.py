"""Scheduler restarts: state lives in the database and on chain, tokens die with the process (§3.1, §14)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account
from web3 import Web3

from workerpool.common.errors import ConfigError
from workerpool.common.statuses import ChainTaskStatus
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.scheduler.app import SchedulerServices
from workerpool.scheduler.config import SchedulerSettings
from workerpool.scheduler.db.tables import Setting

from .conftest import RunningScheduler
from .kit import (
    TO_COMPUTED,
    ChainWorker,
    Market,
    WorkerClient,
    buy_task,
    match_task,
    published_order,
    receipt_details,
    result_zip,
    wait_task,
)

pytestmark = pytest.mark.chain


@pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
def test_task_completes_across_a_scheduler_restart(
        start_scheduler: Callable[[], RunningScheduler], market: Market,
        chain_worker: Callable[[WorkerClient], ChainWorker], w3: Web3, fund: Callable[..., None]) -> None:
    first = start_scheduler()
    _, chain_task_id = buy_task(market, first.http)
    wait_task(first.http, chain_task_id, "INITIALIZED")
    account = Account.create()
    fund(account)
    worker = WorkerClient(first.http, account)
    assert worker.login().status_code == 200 and worker.register().status_code == 200
    onchain = chain_worker(worker)
    auth = worker.authorization(w3.eth.block_number)
    digest = "0x" + "c3" * 32
    worker.report(chain_task_id, *TO_COMPUTED)
    cursor = worker.feed_head()
    receipt = onchain.contribute(auth, digest)  # before CONTRIBUTING: see test_full_flow.py
    wait_task(first.http, chain_task_id, "CONSENSUS_REACHED")
    worker.report(chain_task_id, S.CONTRIBUTING)
    assert worker.update(chain_task_id, S.CONTRIBUTED, receipt_details(receipt)).status_code == 200
    old_token = worker.token

    first.stop()
    second = start_scheduler()
    worker.http = second.http

    assert second.http.post("/workers/ping", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    assert worker.login().status_code == 200
    assert worker.token != old_token
    assert second.http.post("/workers/ping", headers=worker.headers).status_code == 200
    # The feed is durable: what was published before the restart is still there after the old cursor.
    assert worker.wait_for("PLEASE_REVEAL", chain_task_id, cursor)["taskNotificationExtra"]["blockNumber"] > 0
    assert worker.update(chain_task_id, S.CONTRIBUTED).status_code == 208  # the history survived too
    worker.report(chain_task_id, S.REVEALING)
    receipt = onchain.reveal(chain_task_id, digest)
    assert worker.update(chain_task_id, S.REVEALED, receipt_details(receipt)).status_code == 200
    worker.wait_for("PLEASE_UPLOAD", chain_task_id, cursor)
    worker.report(chain_task_id, S.RESULT_UPLOADING)
    assert worker.http.put(f"/results/{chain_task_id}", content=result_zip(), headers=worker.headers).status_code == 200
    worker.report(chain_task_id, S.RESULT_UPLOADED)

    wait_task(second.http, chain_task_id, "COMPLETED")
    assert market.poco.view_task(chain_task_id).status is ChainTaskStatus.COMPLETED
    worker.wait_for("PLEASE_COMPLETE", chain_task_id, cursor)
    statuses = [e["status"] for e in second.http.get(f"/tasks/{chain_task_id}").json()["dateStatusList"]]
    assert statuses.count("INITIALIZED") == 1 and statuses.count("COMPLETED") == 1  # nothing redone


def test_a_deal_matched_while_the_scheduler_is_down_is_picked_up(
        start_scheduler: Callable[[], RunningScheduler], market: Market) -> None:
    first = start_scheduler()
    order = published_order(first.http)
    first.stop()
    _, chain_task_id = match_task(market, order)

    second = start_scheduler()

    wait_task(second.http, chain_task_id, "INITIALIZED")
    assert market.poco.view_task(chain_task_id).status is ChainTaskStatus.ACTIVE


def test_a_database_filled_on_another_chain_is_refused(settings: SchedulerSettings) -> None:
    services = SchedulerServices(settings)
    with services.db.session() as s:
        genesis = s.get(Setting, "chain_genesis")
        assert genesis is not None and genesis.value.removeprefix("0x") != ""
        genesis.value = "0x" + "ee" * 32  # as if the database had been filled on a since-restarted dev node
    services.db.engine.dispose()

    with pytest.raises(ConfigError, match="belongs to another chain"):
        SchedulerServices(settings)
