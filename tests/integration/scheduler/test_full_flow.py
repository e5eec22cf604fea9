"""A whole trust-1 task over HTTP against the real chain: the test is the worker, the scheduler does the rest.

Worker side (the test): statuses, contribute and reveal transactions, result upload. Scheduler side:
initialize, consensus → PLEASE_REVEAL, uploader election → PLEASE_UPLOAD, finalize → PLEASE_COMPLETE.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from web3 import Web3

from workerpool.common.hashing import result_hash
from workerpool.common.statuses import ChainTaskStatus
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.compute.results import digest_of_result_zip

from .conftest import RunningScheduler
from .kit import (
    TO_COMPUTED,
    ChainWorker,
    Market,
    WorkerClient,
    buy_task,
    receipt_details,
    replicate_of,
    result_zip,
    wait_task,
)

pytestmark = pytest.mark.chain


@pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)
def test_trust_1_task_completes_driven_over_http(
        scheduler: RunningScheduler, market: Market, new_worker: Callable[..., WorkerClient],
        chain_worker: Callable[[WorkerClient], ChainWorker], w3: Web3) -> None:
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    worker, bystander = new_worker(funded=True), new_worker()
    onchain = chain_worker(worker)
    auth = worker.authorization(w3.eth.block_number)
    zipped = result_zip()
    digest = digest_of_result_zip(zipped)

    # Compute, then contribute: the transaction goes out before CONTRIBUTING is reported and the worker waits
    # for PLEASE_REVEAL (the engine learns the contribution from the chain; the race with the worker's own
    # report is covered by test_status_updates.py).
    actions = worker.report(chain_task_id, *TO_COMPUTED)
    assert actions[-1] == "PLEASE_CONTRIBUTE"
    cursor = worker.feed_head()
    receipt = onchain.contribute(auth, digest)

    reveal = worker.wait_for("PLEASE_REVEAL", chain_task_id, cursor)
    assert reveal["workersAddress"] == [worker.wallet]
    assert reveal["taskNotificationExtra"]["blockNumber"] >= receipt.block_number > 0
    assert wait_task(scheduler.http, chain_task_id, "CONSENSUS_REACHED")["consensus"] == (
        market.poco.view_task(chain_task_id).consensus_value)
    assert worker.report(chain_task_id, S.CONTRIBUTING) == ["PLEASE_CONTINUE"]
    contributed = worker.update(chain_task_id, S.CONTRIBUTED, receipt_details(receipt))
    assert contributed.status_code == 200, contributed.text
    assert contributed.json()["nextAction"] == "PLEASE_WAIT"
    assert replicate_of(scheduler.http, chain_task_id, worker.wallet)["contributionHash"] == (
        result_hash(chain_task_id, digest))

    assert worker.report(chain_task_id, S.REVEALING) == ["PLEASE_CONTINUE"]
    receipt = onchain.reveal(chain_task_id, digest)
    assert worker.update(chain_task_id, S.REVEALED, receipt_details(receipt)).status_code == 200
    worker.wait_for("PLEASE_UPLOAD", chain_task_id, cursor)
    assert wait_task(scheduler.http, chain_task_id, "RESULT_UPLOADING")["uploadingWorkerWalletAddress"] == (
        worker.wallet)

    assert worker.report(chain_task_id, S.RESULT_UPLOADING) == ["PLEASE_CONTINUE"]
    refused = bystander.http.put(f"/results/{chain_task_id}", content=b"PK forged", headers=bystander.headers)
    uploaded = worker.http.put(f"/results/{chain_task_id}", content=zipped, headers=worker.headers)
    assert refused.status_code == 403
    assert uploaded.status_code == 200, uploaded.text
    link = uploaded.json()["resultLink"]
    assert worker.update(chain_task_id, S.RESULT_UPLOADED, {"resultLink": link}).json()["nextAction"] == (
        "PLEASE_WAIT")

    view = wait_task(scheduler.http, chain_task_id, "COMPLETED")
    chain = market.poco.view_task(chain_task_id)
    assert chain.status is ChainTaskStatus.COMPLETED
    assert chain.result_digest == digest == view["resultDigest"]
    assert json.loads(chain.results) == json.loads(view["resultLink"])
    assert json.loads(chain.results)["location"].endswith(f"/results/{chain_task_id}")
    assert [e["status"] for e in view["dateStatusList"]][-2:] == ["FINALIZED", "COMPLETED"]
    assert scheduler.http.get(f"/results/{chain_task_id}").content == zipped
    complete = worker.wait_for("PLEASE_COMPLETE", chain_task_id, cursor)
    assert complete["workersAddress"] == []  # broadcast to the task's workers
    entries = replicate_of(scheduler.http, chain_task_id, worker.wallet)["statusUpdateList"]
    history = [e["status"] for e in entries]
    assert history == ["CREATED", *(s.value for s in TO_COMPUTED), "CONTRIBUTING", "CONTRIBUTED", "REVEALING",
                       "REVEALED", "RESULT_UPLOAD_REQUESTED", "RESULT_UPLOADING", "RESULT_UPLOADED"]


def test_result_upload_before_election_is_refused(scheduler: RunningScheduler, market: Market,
                                                  new_worker: Callable[..., WorkerClient], w3: Web3) -> None:
    _, chain_task_id = buy_task(market, scheduler.http)
    wait_task(scheduler.http, chain_task_id, "INITIALIZED")
    worker = new_worker()
    worker.authorization(w3.eth.block_number)
    worker.report(chain_task_id, *TO_COMPUTED)

    early = worker.http.put(f"/results/{chain_task_id}", content=result_zip(), headers=worker.headers)
    claimed = worker.update(chain_task_id, S.RESULT_UPLOADED, {"resultLink": "x"})

    assert early.status_code == 403
    assert claimed.status_code == 409
    assert scheduler.http.get(f"/results/{chain_task_id}").status_code == 404
