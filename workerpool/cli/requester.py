"""Requester flow: buy one task (sign and match orders), follow it, download and verify its result."""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx

from workerpool.chain.models import ChainTask
from workerpool.chain.poco import PocoClient
from workerpool.common.errors import RequesterError, ResultVerificationFailed, TransactionFailed
from workerpool.common.hashing import task_id
from workerpool.common.orders import AppOrder, DatasetOrder, Domain, RequestOrder, WorkerpoolOrder, sign_order
from workerpool.common.statuses import ChainTaskStatus
from workerpool.compute.results import digest_of_result_zip

__all__ = ["RunRequest", "RunOutcome", "buy_task", "follow_tasks", "fetch_and_verify", "workerpool_order"]


@dataclass(frozen=True)
class RunRequest:
    app_order: AppOrder
    args: str
    trust: int
    category: int
    scheduler_url: str
    volume: int = 1


@dataclass
class RunOutcome:
    deal_id: str
    chain_task_id: str
    task_ids: tuple[str, ...] = ()


def workerpool_order(scheduler_url: str, category: int) -> WorkerpoolOrder:
    """The pool's signed order for ``category``, as published by its scheduler."""
    try:
        response = httpx.get(f"{scheduler_url}/orders/workerpool", params={"category": category}, timeout=15)
    except httpx.TransportError as e:
        raise RequesterError(f"scheduler at {scheduler_url} is unreachable: {e} "
                             "(is the pool up? `workerpool up`)") from e
    if response.status_code != 200:
        raise RequesterError(f"the pool publishes no order for category {category}: {response.text[:200]}")
    orders = response.json()
    if not orders:
        raise RequesterError(f"the pool has no open order for category {category}")
    return WorkerpoolOrder.from_json(orders[0])


def buy_task(poco: PocoClient, domain: Domain, requester_key: Any, request: RunRequest) -> RunOutcome:
    """Sign the request order, match it with the app and workerpool orders; returns deal and task ids."""
    requester = poco.sender.address if poco.sender else ""
    pool_order = workerpool_order(request.scheduler_url, request.category)
    params = json.dumps({"iexec_args": request.args, "iexec_result_storage_provider": "workerpool"})
    order = sign_order(RequestOrder(
        app=request.app_order.app, appmaxprice=request.app_order.appprice,
        workerpool=pool_order.workerpool, workerpoolmaxprice=pool_order.workerpoolprice, requester=requester,
        volume=request.volume, category=request.category, trust=request.trust, beneficiary=requester, params=params,
    ), domain, requester_key)
    price = (request.app_order.appprice + pool_order.workerpoolprice) * request.volume
    stake, _ = poco.view_account(requester)
    if stake < price:
        raise RequesterError(f"the requester account holds {stake} nRLC on the hub but the task costs {price} nRLC: "
                             "deposit RLC first")
    try:
        deal_id, _ = poco.match_orders(request.app_order, DatasetOrder(), pool_order, order)
    except TransactionFailed as e:
        raise RequesterError(f"matchOrders refused: {e}") from e
    deal = poco.view_deal(deal_id)
    ids = tuple(task_id(deal_id, i) for i in range(deal.bot_first, deal.bot_first + deal.bot_size))
    return RunOutcome(deal_id=deal_id, chain_task_id=ids[0], task_ids=ids)


def follow_tasks(poco: PocoClient, scheduler_url: str, task_ids: list[str], *,
                 on_status: Callable[[int, str, str], None], poll_s: float = 0.3,
                 timeout_s: float | None = None) -> dict[str, ChainTask]:
    """Follow several tasks until each is COMPLETED or FAILED on chain (or past its final deadline)."""
    last: dict[str, tuple[str, str]] = {}
    done: dict[str, ChainTask] = {}
    started = time.monotonic()
    with httpx.Client(timeout=10) as http:
        while len(done) < len(task_ids):
            for index, chain_task_id in enumerate(task_ids):
                if chain_task_id in done:
                    continue
                chain = poco.view_task(chain_task_id)
                current = (chain.status.name, _pool_status(http, scheduler_url, chain_task_id))
                if current != last.get(chain_task_id):
                    on_status(index, *current)
                    last[chain_task_id] = current
                if chain.status in (ChainTaskStatus.COMPLETED, ChainTaskStatus.FAILED) or (
                        chain.final_deadline and poco.latest_timestamp() > chain.final_deadline + 60):
                    done[chain_task_id] = chain
            if len(done) < len(task_ids):
                if timeout_s is not None and time.monotonic() - started > timeout_s:
                    pending = [t for t in task_ids if t not in done]
                    raise RequesterError(f"{len(pending)} task(s) not done after {timeout_s:.0f} s: {pending}")
                time.sleep(poll_s)
    return done


def _pool_status(http: httpx.Client, scheduler_url: str, chain_task_id: str) -> str:
    try:
        response = http.get(f"{scheduler_url}/tasks/{chain_task_id}")
    except httpx.TransportError:
        return "scheduler unreachable"
    if response.status_code == 404:
        return "not seen yet"
    return str(response.json().get("currentStatus", "?")) if response.status_code == 200 else "?"


def fetch_and_verify(chain: ChainTask, output_dir: Path) -> tuple[Path, str, dict[str, str], bool]:
    """Download the result named on chain, check its digest against the chain, unpack it.

    Returns (zip path, digest, small text files by name, app failed?). Raises ResultVerificationFailed.
    """
    try:
        link = json.loads(chain.results.decode())
        location = link["location"]
    except (ValueError, KeyError, UnicodeDecodeError) as e:
        raise ResultVerificationFailed(f"the on-chain result link is not readable: {chain.results!r}") from e
    try:
        response = httpx.get(location, timeout=60)
    except httpx.TransportError as e:
        raise ResultVerificationFailed(f"cannot download the result from {location}: {e}") from e
    if response.status_code != 200:
        raise ResultVerificationFailed(f"result download from {location} answered {response.status_code}")
    digest = digest_of_result_zip(response.content)
    if digest != chain.result_digest:
        raise ResultVerificationFailed(f"downloaded result digest {digest} differs from the on-chain "
                                       f"{chain.result_digest}: do not trust this file")
    output_dir.mkdir(parents=True, exist_ok=True)
    zip_path = output_dir / f"{chain.task_id}.zip"
    zip_path.write_bytes(response.content)
    files: dict[str, str] = {}
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        for name in archive.namelist():
            if archive.getinfo(name).file_size <= 4096 and not name.endswith("/"):
                files[name] = archive.read(name).decode("utf-8", errors="replace")
    return zip_path, digest, files, "error.txt" in files
