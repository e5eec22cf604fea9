"""Helpers of the scheduler API tests: a requester buying tasks on chain, and a worker driven over HTTP.

The test plays the worker itself (login, register, ask, status updates, long-poll feed, on-chain contribute
and reveal), so every step the scheduler takes is observable and asserted.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from web3 import Web3

from workerpool.chain.devchain.accounts import sender_for
from workerpool.chain.poco import PocoClient
from workerpool.chain.tx import TxReceipt
from workerpool.common.authorization import WorkerpoolAuthorization, sign_hash
from workerpool.common.hashing import result_hash, result_seal, task_id
from workerpool.common.messages import WorkerModel
from workerpool.common.orders import AppOrder, DatasetOrder, Domain, RequestOrder, WorkerpoolOrder, sign_order
from workerpool.common.statuses import ReplicateStatus
from workerpool.scheduler.app import SchedulerServices
from workerpool.scheduler.db.tables import Notification, Replicate, ReplicateStatusEntry, Task, TaskStatusEntry

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["Market", "WorkerClient", "ChainWorker", "buy_task", "match_task", "published_order", "wait_task",
           "replicate_of", "db_snapshot", "result_zip", "receipt_details", "TO_COMPUTED"]

S = ReplicateStatus

#: The statuses a worker reports from CREATED up to a computed result, in order.
TO_COMPUTED = [S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED, S.DATA_DOWNLOADING, S.DATA_DOWNLOADED,
               S.COMPUTING, S.COMPUTED]


@dataclass(frozen=True)
class Market:
    """A funded requester owning one registered app, with its signed app order."""

    requester: LocalAccount
    poco: PocoClient
    domain: Domain
    app_order: AppOrder
    image: str


def published_order(http: TestClient) -> WorkerpoolOrder:
    """The pool's signed order for category 0, as requesters get it (GET /orders/workerpool)."""
    response = http.get("/orders/workerpool", params={"category": 0})
    assert response.status_code == 200, response.text
    return WorkerpoolOrder.from_json(response.json()[0])


def match_task(market: Market, pool_order: WorkerpoolOrder, *, args: str = "hello", trust: int = 1) -> tuple[str, str]:
    """Sign a request order for the market's app and match it with ``pool_order``; returns (deal, task)."""
    requester = market.requester.address.lower()
    params = json.dumps({"iexec_args": args, "iexec_result_storage_provider": "workerpool"})
    request = sign_order(RequestOrder(
        app=market.app_order.app, appmaxprice=market.app_order.appprice, workerpool=pool_order.workerpool,
        workerpoolmaxprice=pool_order.workerpoolprice, requester=requester, volume=1, category=0, trust=trust,
        beneficiary=requester, params=params,
    ), market.domain, market.requester.key)
    deal_id, _ = market.poco.match_orders(market.app_order, DatasetOrder(), pool_order, request)
    return deal_id, task_id(deal_id, 0)


def buy_task(market: Market, http: TestClient, *, args: str = "hello", trust: int = 1) -> tuple[str, str]:
    """Buy one task from the pool served by ``http``; returns (deal, task)."""
    return match_task(market, published_order(http), args=args, trust=trust)


def wait_task(http: TestClient, chain_task_id: str, *statuses: str, timeout_s: float = 10) -> dict[str, Any]:
    """Poll GET /tasks/{id} until its currentStatus is one of ``statuses``; returns the task view."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        response = http.get(f"/tasks/{chain_task_id}")
        if response.status_code == 200:
            last = response.json()
            if last["currentStatus"] in statuses:
                return dict(last)
        else:
            last = response.status_code
        time.sleep(0.05)
    raise AssertionError(f"task {chain_task_id} not in {statuses} after {timeout_s} s (last seen: {last})")


def replicate_of(http: TestClient, chain_task_id: str, wallet: str) -> dict[str, Any]:
    view = http.get(f"/tasks/{chain_task_id}").json()
    return next(dict(r) for r in view["replicates"] if r["walletAddress"] == wallet)


def db_snapshot(services: SchedulerServices) -> dict[str, Any]:
    """Row counts and current statuses: equal snapshots mean a request changed nothing."""
    with services.db.session() as s:
        counts = {table.__tablename__: s.scalar(select(func.count()).select_from(table))
                  for table in (Task, TaskStatusEntry, Replicate, ReplicateStatusEntry, Notification)}
        statuses = sorted(s.execute(select(Replicate.chain_task_id, Replicate.worker, Replicate.status)).all())
        tasks = sorted(s.execute(select(Task.chain_task_id, Task.status)).all())
    return {"counts": counts, "replicates": [tuple(r) for r in statuses], "tasks": [tuple(t) for t in tasks]}


def result_zip(text: str = "hello workerpool") -> bytes:
    """A small result zip as a worker uploads it (iexec_out content, with computed.json naming the output)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("stdout.txt", text)
        archive.writestr("computed.json", json.dumps({"deterministic-output-path": "/iexec_out/stdout.txt"}))
    return buffer.getvalue()


class WorkerClient:
    """One worker wallet talking to the scheduler over HTTP; ``http`` is swapped when the scheduler restarts."""

    def __init__(self, http: TestClient, account: LocalAccount):
        self.http = http
        self.account = account
        self.token = ""

    @property
    def wallet(self) -> str:
        return self.account.address.lower()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def login(self, signer: LocalAccount | None = None) -> httpx.Response:
        """Challenge, sign (with ``signer``, the worker's own key by default), log in; keeps the JWT on success."""
        challenge = self.http.get("/workers/challenge", params={"walletAddress": self.wallet})
        assert challenge.status_code == 200, challenge.text
        signature = sign_hash(challenge.text, (signer or self.account).key)
        response = self.http.post("/workers/login", params={"walletAddress": self.wallet}, json={"value": signature})
        if response.status_code == 200:
            self.token = response.text
        return response

    def register(self, name: str = "test-worker", cpu_nb: int = 1) -> httpx.Response:
        return self.http.post("/workers/register", headers=self.headers,
                              json=WorkerModel(name=name, cpu_nb=cpu_nb).wire())

    def ask(self, block_number: int) -> httpx.Response:
        return self.http.get("/replicates/available", params={"blockNumber": block_number}, headers=self.headers)

    def authorization(self, block_number: int) -> WorkerpoolAuthorization:
        response = self.ask(block_number)
        assert response.status_code == 200, (response.status_code, response.text)
        return WorkerpoolAuthorization.from_json(response.json()["workerpoolAuthorization"])

    def update(self, chain_task_id: str, status: ReplicateStatus,
               details: dict[str, Any] | None = None) -> httpx.Response:
        body: dict[str, Any] = {"status": status.value}
        if details is not None:
            body["details"] = details
        return self.http.post(f"/replicates/{chain_task_id}/updateStatus", json=body, headers=self.headers)

    def report(self, chain_task_id: str, *statuses: ReplicateStatus) -> list[str | None]:
        """Report each status (all must be accepted); returns the next actions answered."""
        actions = []
        for status in statuses:
            response = self.update(chain_task_id, status)
            assert response.status_code == 200, (status, response.status_code, response.text)
            actions.append(response.json()["nextAction"])
        return actions

    def feed_head(self) -> int:
        response = self.http.get("/workers/notifications", params={"cursor": -1}, headers=self.headers)
        assert response.status_code == 200, response.text
        return int(response.json()["cursor"])

    def wait_for(self, kind: str, chain_task_id: str, cursor: int, timeout_s: float = 10) -> dict[str, Any]:
        """Long-poll the feed from ``cursor`` until a ``kind`` notification about the task arrives."""
        deadline = time.monotonic() + timeout_s
        seen: list[str] = []
        while (remaining := deadline - time.monotonic()) > 0:
            response = self.http.get("/workers/notifications", headers=self.headers,
                                     params={"cursor": cursor, "waitS": min(remaining, 10)})
            assert response.status_code == 200, response.text
            batch = response.json()
            for notification in batch["notifications"]:
                seen.append(notification["taskNotificationType"])
                if notification["taskNotificationType"] == kind and notification["chainTaskId"] == chain_task_id:
                    return dict(notification)
            cursor = int(batch["cursor"])
        raise AssertionError(f"no {kind} for {self.wallet} within {timeout_s} s (seen {seen})")


@dataclass(frozen=True)
class ChainWorker:
    """The on-chain side of a worker: contribute and reveal with its own wallet."""

    w3: Web3
    hub: str
    account: LocalAccount

    @property
    def poco(self) -> PocoClient:
        return PocoClient(self.w3, self.hub, sender=sender_for(self.w3, self.account))

    def contribute(self, auth: WorkerpoolAuthorization, digest: str) -> TxReceipt:
        wallet = self.account.address.lower()
        return self.poco.contribute(auth.chain_task_id, result_hash(auth.chain_task_id, digest),
                                    result_seal(wallet, auth.chain_task_id, digest), auth.signature)

    def reveal(self, chain_task_id: str, digest: str) -> TxReceipt:
        return self.poco.reveal(chain_task_id, digest)


def receipt_details(receipt: TxReceipt) -> dict[str, Any]:
    return {"chainReceipt": {"blockNumber": receipt.block_number, "txHash": receipt.tx_hash}}
