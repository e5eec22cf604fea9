"""Replicate status updates (POST /replicates/{id}/updateStatus): 200/208/404/409/422, malformed requests.

A refused update never changes state (workerpool/scheduler/replicates.py): every refusal below is checked
against a database snapshot taken before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from web3 import Web3

from workerpool.common.statuses import ReplicateStatus as S

from .conftest import RunningScheduler
from .kit import TO_COMPUTED, ChainWorker, Market, WorkerClient, buy_task, db_snapshot, replicate_of, wait_task

pytestmark = pytest.mark.chain


@pytest.fixture
def assigned(scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient],
             w3: Web3) -> tuple[WorkerClient, str]:
    """A worker holding the CREATED replicate of a fresh trust-1 task."""
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    worker = new_worker()
    worker.authorization(w3.eth.block_number)
    return worker, chain_task_id


def _history(worker: WorkerClient, chain_task_id: str) -> list[str]:
    return [e["status"] for e in replicate_of(worker.http, chain_task_id, worker.wallet)["statusUpdateList"]]


def test_valid_path_then_replay_then_impossible_transition(scheduler: RunningScheduler,
                                                           assigned: tuple[WorkerClient, str]) -> None:
    worker, chain_task_id = assigned

    assert worker.report(chain_task_id, S.STARTING, S.STARTED) == ["PLEASE_CONTINUE", "PLEASE_DOWNLOAD_APP"]
    wait_task(scheduler.http, chain_task_id, "RUNNING")  # the first started replicate makes the task RUNNING
    before = db_snapshot(scheduler.services)

    replay = worker.update(chain_task_id, S.STARTED)
    impossible = worker.update(chain_task_id, S.CONTRIBUTED)

    assert replay.status_code == 208
    assert replay.json()["nextAction"] == "PLEASE_WAIT"
    assert impossible.status_code == 409
    assert impossible.json()["accepted"] is False
    assert "STARTED -> CONTRIBUTED" in impossible.json()["reason"]
    assert _history(worker, chain_task_id) == ["CREATED", "STARTING", "STARTED"]
    assert db_snapshot(scheduler.services) == before


def test_another_worker_cannot_report_on_this_replicate(scheduler: RunningScheduler,
                                                        assigned: tuple[WorkerClient, str],
                                                        new_worker: Callable[..., WorkerClient]) -> None:
    worker, chain_task_id = assigned
    intruder = new_worker()
    before = db_snapshot(scheduler.services)

    response = intruder.update(chain_task_id, S.STARTING)

    assert response.status_code == 404
    assert response.json()["nextAction"] == "PLEASE_ABORT"
    assert db_snapshot(scheduler.services) == before
    assert worker.report(chain_task_id, S.STARTING) == ["PLEASE_CONTINUE"]  # the owner is unaffected


def test_contributed_without_an_onchain_contribution_is_422(scheduler: RunningScheduler,
                                                            assigned: tuple[WorkerClient, str]) -> None:
    worker, chain_task_id = assigned
    worker.report(chain_task_id, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED, S.DATA_DOWNLOADING,
                  S.DATA_DOWNLOADED, S.COMPUTING, S.COMPUTED, S.CONTRIBUTING)
    wait_task(scheduler.http, chain_task_id, "RUNNING")
    before = db_snapshot(scheduler.services)

    response = worker.update(chain_task_id, S.CONTRIBUTED,
                             {"chainReceipt": {"blockNumber": 1, "txHash": "0x" + "12" * 32}})

    assert response.status_code == 422
    assert "no contribution" in response.json()["reason"]
    assert db_snapshot(scheduler.services) == before
    assert replicate_of(worker.http, chain_task_id, worker.wallet)["currentStatus"] == "CONTRIBUTING"


@pytest.mark.parametrize(("path", "body", "code"), [
    pytest.param("0x1234", {"status": "STARTING"}, 400, id="bad-task-id"),
    pytest.param("not-hex", {"status": "STARTING"}, 400, id="non-hex-task-id"),
    pytest.param(None, {"status": "DANCING"}, 422, id="unknown-status"),
    pytest.param(None, {"details": {}}, 422, id="no-status"),
    pytest.param(None, {"status": "STARTING", "details": {"cause": "NOT_A_CAUSE"}}, 422, id="unknown-cause"),
    pytest.param(None, b"this is not json", 422, id="not-json"),
])
def test_malformed_update_is_refused_and_changes_nothing(scheduler: RunningScheduler,
                                                         assigned: tuple[WorkerClient, str], path: str | None,
                                                         body: object, code: int) -> None:
    worker, chain_task_id = assigned
    before = db_snapshot(scheduler.services)
    url = f"/replicates/{path or chain_task_id}/updateStatus"

    if isinstance(body, bytes):
        response = worker.http.post(url, content=body, headers={**worker.headers, "Content-Type": "application/json"})
    else:
        response = worker.http.post(url, json=body, headers=worker.headers)

    assert response.status_code == code, response.text
    assert db_snapshot(scheduler.services) == before
    assert _history(worker, chain_task_id) == ["CREATED"]


def test_update_without_token_is_401(scheduler: RunningScheduler, assigned: tuple[WorkerClient, str]) -> None:
    worker, chain_task_id = assigned

    response = scheduler.http.post(f"/replicates/{chain_task_id}/updateStatus", json={"status": "STARTING"})

    assert response.status_code == 401
    assert _history(worker, chain_task_id) == ["CREATED"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
def test_contributed_is_recorded_once_when_engine_and_worker_race(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient],
        chain_worker: Callable[[WorkerClient], ChainWorker], w3: Web3) -> None:
    # The worker reports CONTRIBUTED while its transaction is being mined: the scheduler polls the chain to
    # confirm it (§6.3) while the engine, seeing consensus on chain, records the same contribution itself
    # (§6.7 "unnotified"). Either may win, but the history must hold CONTRIBUTED once (§6.2 global rule).
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    worker = new_worker(funded=True)
    auth = worker.authorization(w3.eth.block_number)
    worker.report(chain_task_id, *TO_COMPUTED, S.CONTRIBUTING)
    digest = "0x" + "5a" * 32

    with ThreadPoolExecutor(max_workers=1) as executor:
        claim = executor.submit(worker.update, chain_task_id, S.CONTRIBUTED)
        time.sleep(0.05)  # the claim is being confirmed (its first chain read found nothing)
        chain_worker(worker).contribute(auth, digest)
        scheduler.services.loop.poke(chain_task_id)  # as any other update of the task would: the engine runs now
        response = claim.result(timeout=20)

    assert response.status_code in (200, 208), response.text
    assert _history(worker, chain_task_id).count("CONTRIBUTED") == 1
