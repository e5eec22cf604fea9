"""The scheduler's detectors against the real chain (workerpool/scheduler/detectors/): lost workers, contribution
and reveal timeouts with reopen, the final deadline with the requester's refund, unreported transactions and a
silent uploader; and the supply spreading a deal over the workers' slots.

Time travel (``increase_time``) moves the session chain for every later test: each test buys its own deal
after any travel of an earlier test, and the jumps are as small as the deadlines allow (category 0: 300 s).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import select
from web3 import Web3

from workerpool.chain.devchain.accounts import increase_time
from workerpool.common.hashing import task_id
from workerpool.common.orders import DatasetOrder, RequestOrder, sign_order
from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.compute.results import digest_of_result_zip
from workerpool.scheduler.config import SchedulerSettings
from workerpool.scheduler.db.tables import Replicate, ReplicateStatusEntry

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
    replicate_of,
    result_zip,
    wait_task,
)

pytestmark = pytest.mark.chain

#: Category 0 (XS) work clock time ref: contribution deadline 7×, reveal window 2×, final deadline 10×.
TIMEREF_S = 300


@pytest.fixture
def overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Per-test settings (``@pytest.mark.parametrize("overrides", [{...}], indirect=True)``)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(settings: SchedulerSettings, overrides: dict[str, Any]) -> Iterator[SchedulerSettings]:
    """Detectors every 0.2 s (reveal timeout included) on top of the shared test settings."""
    yield settings.model_copy(update={"detector_period_s": 0.2, "reveal_timeout_period_ms": 200, **overrides})


def wait_replicate(http: Any, chain_task_id: str, wallet: str, status: str, timeout_s: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = replicate_of(http, chain_task_id, wallet)
        if last["currentStatus"] == status:
            return last
        time.sleep(0.05)
    raise AssertionError(f"replicate of {wallet} not {status} after {timeout_s} s (last: {last})")


def history(http: Any, chain_task_id: str, wallet: str) -> list[tuple[str, str]]:
    return [(e["status"], e["modifier"]) for e in replicate_of(http, chain_task_id, wallet)["statusUpdateList"]]


def contribute(worker: WorkerClient, onchain: ChainWorker, chain_task_id: str, w3: Web3, zipped: bytes) -> str:
    """Take a replicate, compute, contribute and report it all; returns the result digest."""
    auth = worker.authorization(w3.eth.block_number)
    assert auth.chain_task_id == chain_task_id
    digest = digest_of_result_zip(zipped)
    worker.report(chain_task_id, *TO_COMPUTED, S.CONTRIBUTING)
    receipt = onchain.contribute(auth, digest)
    response = worker.update(chain_task_id, S.CONTRIBUTED, receipt_details(receipt))
    assert response.status_code == 200, response.text
    return digest


def reveal(worker: WorkerClient, onchain: ChainWorker, chain_task_id: str, digest: str) -> None:
    worker.report(chain_task_id, S.REVEALING)
    receipt = onchain.reveal(chain_task_id, digest)
    assert worker.update(chain_task_id, S.REVEALED, receipt_details(receipt)).status_code == 200


def upload(worker: WorkerClient, chain_task_id: str, zipped: bytes) -> None:
    worker.report(chain_task_id, S.RESULT_UPLOADING)
    uploaded = worker.http.put(f"/results/{chain_task_id}", content=zipped, headers=worker.headers)
    assert uploaded.status_code == 200, uploaded.text
    assert worker.update(chain_task_id, S.RESULT_UPLOADED, {"resultLink": uploaded.json()["resultLink"]}
                         ).status_code == 200


@pytest.mark.parametrize("overrides", [{"worker_lost_after_s": 1}], indirect=True)
def test_a_silent_worker_is_lost_and_its_task_goes_to_another_worker(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient], w3: Web3) -> None:
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    silent, other = new_worker(), new_worker()
    silent.authorization(w3.eth.block_number)
    silent.report(chain_task_id, S.STARTING, S.STARTED)
    assert other.ask(w3.eth.block_number).status_code == 204  # trust 1: one pending replicate is enough

    lost = wait_replicate(scheduler.http, chain_task_id, silent.wallet, "WORKER_LOST")
    auth = other.authorization(w3.eth.block_number)

    assert lost["statusUpdateList"][-1]["modifier"] == "POOL_MANAGER"
    assert auth.chain_task_id == chain_task_id
    # The lost worker keeps its task: back online, it recovers it and reports on.
    assert silent.http.post("/workers/ping", headers=silent.headers).status_code == 200
    interrupted = silent.http.get("/replicates/interrupted", headers=silent.headers).json()
    assert [n["chainTaskId"] for n in interrupted] == [chain_task_id]
    assert silent.report(chain_task_id, S.APP_DOWNLOADING) == ["PLEASE_CONTINUE"]


def test_contribution_timeout_fails_the_task_and_the_final_deadline_claims_the_refund(
        start_scheduler: Callable[[], RunningScheduler], market: Market, w3: Web3) -> None:
    """Across a restart: a started task times out, a task never initialized too; both are refunded."""
    requester = market.requester.address
    before = market.poco.view_account(requester)
    first = start_scheduler()
    pool_order = published_order(first.http)
    _, started = match_task(market, pool_order)
    wait_task(first.http, started, "INITIALIZED")
    worker = WorkerClient(first.http, Account.create())
    assert worker.login().status_code == 200 and worker.register().status_code == 200
    worker.authorization(w3.eth.block_number)
    worker.report(started, S.STARTING, S.STARTED)
    cursor = worker.feed_head()
    first.stop()
    _, never_initialized = match_task(market, pool_order)  # bought while the scheduler is down
    assert market.poco.view_account(requester) != before  # both deal prices are locked

    increase_time(w3, 7 * TIMEREF_S)
    second = start_scheduler()
    worker.http = second.http
    assert worker.login().status_code == 200
    failed = wait_task(second.http, started, "FAILED")
    abort = worker.wait_for("PLEASE_ABORT", started, cursor)

    assert failed["failureReason"] == "CONTRIBUTION_TIMEOUT"
    assert [e["status"] for e in failed["dateStatusList"]][-2:] == ["CONTRIBUTION_TIMEOUT", "FAILED"]
    assert abort["taskNotificationExtra"]["taskAbortCause"] == "CONTRIBUTION_TIMEOUT"
    assert wait_task(second.http, never_initialized, "FAILED")["failureReason"] == "CONTRIBUTION_TIMEOUT"
    assert market.poco.view_task(started).status is ChainTaskStatus.ACTIVE  # claimable only later
    assert market.poco.view_task(never_initialized).status is ChainTaskStatus.UNSET

    increase_time(w3, 3 * TIMEREF_S)
    claims = [wait_claimed(second.http, task) for task in (started, never_initialized)]

    assert all(claim["txHash"].startswith("0x") for claim in claims)
    assert market.poco.view_task(started).status is ChainTaskStatus.FAILED
    assert market.poco.view_task(never_initialized).status is ChainTaskStatus.FAILED  # initializeAndClaim
    assert market.poco.view_account(requester) == before  # the prices are unlocked back to the requester
    assert wait_task(second.http, started, "FAILED")["failureReason"] == "CONTRIBUTION_TIMEOUT"


def wait_claimed(http: Any, chain_task_id: str, timeout_s: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        entries = http.get(f"/tasks/{chain_task_id}").json()["dateStatusList"]
        claimed = [e for e in entries if e["status"] == "CLAIMED"]
        if claimed:
            assert len(claimed) == 1
            return dict(claimed[0])
        time.sleep(0.05)
    raise AssertionError(f"task {chain_task_id} not claimed after {timeout_s} s")


def test_a_reveal_timeout_reopens_the_task_and_another_worker_completes_it(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient],
        chain_worker: Callable[[WorkerClient], ChainWorker], w3: Web3) -> None:
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    first, second = new_worker(funded=True), new_worker(funded=True)
    zipped = result_zip()
    contribute(first, chain_worker(first), chain_task_id, w3, zipped)
    wait_task(scheduler.http, chain_task_id, "CONSENSUS_REACHED")
    cursor = first.feed_head()

    increase_time(w3, 2 * TIMEREF_S + 1)  # the first worker never reveals
    reopened = wait_task(scheduler.http, chain_task_id, "RUNNING")

    chain = market.poco.view_task(chain_task_id)
    assert chain.status is ChainTaskStatus.ACTIVE and chain.reveal_counter == 0
    assert market.poco.view_contribution(chain_task_id, first.wallet).status is ChainContributionStatus.REJECTED
    statuses = [e["status"] for e in reopened["dateStatusList"]]
    assert statuses[-4:] == ["CONSENSUS_REACHED", "REOPENING", "REOPENED", "RUNNING"]
    assert reopened["dateStatusList"][-2]["txHash"].startswith("0x")
    assert reopened["consensus"] == "" and reopened["revealDeadline"] == 0
    assert history(scheduler.http, chain_task_id, first.wallet)[-1] == ("REVEAL_TIMEOUT", "POOL_MANAGER")
    assert replicate_of(scheduler.http, chain_task_id, first.wallet)["statusUpdateList"][-1]["cause"] == (
        "REVEAL_TIMEOUT")
    first.wait_for("PLEASE_ABORT", chain_task_id, cursor)

    # The rejected contribution no longer counts: the task needs (and gets) a new replicate.
    cursor = second.feed_head()
    digest = contribute(second, chain_worker(second), chain_task_id, w3, zipped)
    second.wait_for("PLEASE_REVEAL", chain_task_id, cursor)
    reveal(second, chain_worker(second), chain_task_id, digest)
    second.wait_for("PLEASE_UPLOAD", chain_task_id, cursor)
    upload(second, chain_task_id, zipped)

    done = wait_task(scheduler.http, chain_task_id, "COMPLETED")
    assert done["uploadingWorkerWalletAddress"] == second.wallet
    assert market.poco.view_task(chain_task_id).status is ChainTaskStatus.COMPLETED


def test_unreported_contribution_and_reveal_are_recorded_from_the_chain(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient],
        chain_worker: Callable[[WorkerClient], ChainWorker], w3: Web3) -> None:
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    worker = new_worker(funded=True)
    onchain = chain_worker(worker)
    auth = worker.authorization(w3.eth.block_number)
    digest = digest_of_result_zip(result_zip())
    worker.report(chain_task_id, *TO_COMPUTED)
    cursor = worker.feed_head()

    contributed = onchain.contribute(auth, digest)  # ... and the worker says nothing
    worker.wait_for("PLEASE_REVEAL", chain_task_id, cursor)
    wait_replicate(scheduler.http, chain_task_id, worker.wallet, "CONTRIBUTED", timeout_s=15)
    revealed = onchain.reveal(chain_task_id, digest)  # silent again
    worker.wait_for("PLEASE_UPLOAD", chain_task_id, cursor, timeout_s=15)

    assert history(scheduler.http, chain_task_id, worker.wallet)[len(TO_COMPUTED) + 1:] == [
        ("CONTRIBUTING", "POOL_MANAGER"), ("CONTRIBUTED", "POOL_MANAGER"), ("REVEALING", "POOL_MANAGER"),
        ("REVEALED", "POOL_MANAGER"), ("RESULT_UPLOAD_REQUESTED", "POOL_MANAGER")]
    assert receipt_blocks(scheduler, chain_task_id) == {"CONTRIBUTED": contributed.block_number,
                                                        "REVEALED": revealed.block_number}


def receipt_blocks(scheduler: RunningScheduler, chain_task_id: str) -> dict[str, int]:
    with scheduler.services.db.session() as s:
        rows = s.execute(select(ReplicateStatusEntry.status, ReplicateStatusEntry.details)
                         .join(Replicate, Replicate.id == ReplicateStatusEntry.replicate_id)
                         .where(Replicate.chain_task_id == chain_task_id)).all()
    # record_status stores the details by their Python names (snake_case)
    return {status: details["chain_receipt"]["block_number"] for status, details in rows
            if details and "chain_receipt" in details}


@pytest.mark.parametrize("overrides", [{"result_upload_timeout_s": 1}], indirect=True)
def test_a_silent_uploader_is_failed_and_another_one_elected(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient],
        chain_worker: Callable[[WorkerClient], ChainWorker], w3: Web3) -> None:
    _, chain_task_id = buy_task(market, scheduler.http, trust=3)  # two fresh workers reach the consensus
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    silent, uploader = new_worker(funded=True), new_worker(funded=True)
    zipped = result_zip()
    cursor = silent.feed_head()
    digest = contribute(silent, chain_worker(silent), chain_task_id, w3, zipped)
    contribute(uploader, chain_worker(uploader), chain_task_id, w3, zipped)
    silent.wait_for("PLEASE_REVEAL", chain_task_id, cursor)
    reveal(silent, chain_worker(silent), chain_task_id, digest)
    silent.wait_for("PLEASE_UPLOAD", chain_task_id, cursor)  # the only revealed replicate is elected
    cursor = uploader.feed_head()
    reveal(uploader, chain_worker(uploader), chain_task_id, digest)

    uploader.wait_for("PLEASE_UPLOAD", chain_task_id, cursor)

    assert history(scheduler.http, chain_task_id, silent.wallet)[-2:] == [
        ("RESULT_UPLOAD_REQUESTED", "POOL_MANAGER"), ("RESULT_UPLOAD_FAILED", "POOL_MANAGER")]
    assert wait_task(scheduler.http, chain_task_id, "RESULT_UPLOADING")["uploadingWorkerWalletAddress"] == (
        uploader.wallet)
    upload(uploader, chain_task_id, zipped)
    wait_task(scheduler.http, chain_task_id, "COMPLETED")


def test_the_tasks_of_a_deal_spread_over_the_free_slots_of_every_worker(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient], w3: Web3) -> None:
    pool_order = published_order(scheduler.http)
    requester = market.requester.address.lower()
    request = sign_order(RequestOrder(
        app=market.app_order.app, appmaxprice=0, workerpool=pool_order.workerpool,
        workerpoolmaxprice=pool_order.workerpoolprice, requester=requester, volume=3, category=0, trust=1,
        beneficiary=requester, params=json.dumps({"iexec_args": "spread"}),
    ), market.domain, market.requester.key)
    deal_id, _ = market.poco.match_orders(market.app_order, DatasetOrder(), pool_order, request)
    tasks = [task_id(deal_id, i) for i in range(3)]
    for chain_task_id in tasks:
        wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    single, double = new_worker(), new_worker()
    assert double.register(cpu_nb=2).status_code == 200
    block = w3.eth.block_number

    given = [single.authorization(block).chain_task_id]
    assert single.ask(block).status_code == 204  # its only slot is busy
    given += [double.authorization(block).chain_task_id for _ in range(2)]
    assert double.ask(block).status_code == 204

    assert sorted(given) == sorted(tasks)  # trust 1: one replicate each, on three slots of two workers
