"""Bodies of the CLI commands (kept apart from the typer declarations)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
from eth_account.signers.local import LocalAccount
from rich.console import Console

from workerpool.chain.devchain.accounts import create_app
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.models import ChainTask
from workerpool.chain.node import connect
from workerpool.chain.poco import PocoClient
from workerpool.chain.tx import TxSender
from workerpool.chain.wallet import load_wallet
from workerpool.common.errors import ConfigError, RequesterError, ResultVerificationFailed
from workerpool.common.hashing import normalize_bytes32
from workerpool.common.orders import AppOrder, Domain, sign_order
from workerpool.common.statuses import ChainTaskStatus

from .devpool import DEV_PASSWORD, DevPool, default_home
from .requester import RunRequest, buy_task, fetch_and_verify, follow_tasks

__all__ = ["chain", "scheduler", "worker", "up", "down", "demo", "app_register", "run", "task_show"]

out = Console()
err = Console(stderr=True)


def _pool(home: Path | None, **kwargs: Any) -> DevPool:
    return DevPool(home or default_home(), **kwargs)


def chain(home: Path | None, *, port: int, detach: bool) -> None:
    pool = _pool(home, chain_port=port)
    started = time.monotonic()
    _, deployment = pool.ensure_chain()
    out.print(f"chain {deployment.chain_id} at {pool.node_url}: hub {deployment.hub} "
              f"({time.monotonic() - started:.1f} s); addresses in {pool.home.root / 'chain.json'}")
    if detach:
        return
    out.print("node running; Ctrl-C stops it")
    try:
        signal.pause()
    finally:
        pool.stop("chain")


def scheduler() -> None:
    from workerpool.scheduler.app import serve
    from workerpool.scheduler.config import SchedulerSettings

    serve(SchedulerSettings.from_env())


def worker() -> None:
    from workerpool.worker.agent import Agent
    from workerpool.worker.config import WorkerSettings

    Agent(WorkerSettings.from_env()).run()


def up(home: Path | None, *, workers: int, chain_port: int = 8545, scheduler_port: int = 13000) -> dict[str, Any]:
    pool = _pool(home, chain_port=chain_port, scheduler_port=scheduler_port)
    started = time.monotonic()
    with err.status("starting the chain and deploying PoCo..."):
        info = pool.ensure_pool(workers)
    with err.status("building the demo app image..."):
        from workerpool.compute.images import DEMO_APP_TAG, build_demo_app
        from workerpool.compute.runtime import DockerRuntime

        build_demo_app(DockerRuntime())
    with err.status("starting the scheduler..."):
        pool.stop("scheduler")
        pool.start_scheduler(info)
    for index in range(1, workers + 1):
        with err.status(f"starting worker-{index}..."):
            pool.stop(f"worker-{index}")
            pool.start_worker(info, index)
    app_address = app_register(home, image=DEMO_APP_TAG, name="demo-app", price_nrlc=0, quiet=True)
    out.print(f"[green]pool up[/] in {time.monotonic() - started:.1f} s: workerpool {info['pool']}, "
              f"{workers} worker(s), scheduler {info['scheduler_url']} (tasks: {info['scheduler_url']}/tasks)")
    out.print(f"demo app {app_address}: try  [bold]workerpool run {DEMO_APP_TAG} hello world[/]")
    out.print(f"logs in {pool.home.root / 'logs'}; stop with  workerpool down")
    return info


def down(home: Path | None) -> None:
    stopped = _pool(home).down()
    out.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


def demo(home: Path | None, *, keep: bool) -> int:
    from workerpool.compute.images import DEMO_APP_TAG

    info = up(home, workers=1)
    try:
        return run(home, DEMO_APP_TAG, ["hello", "workerpool"], trust=1, category=0, output=Path("results"),
                   timeout_s=600)
    finally:
        if not keep:
            down(home)
        else:
            out.print(f"pool left running at {info['scheduler_url']}")


# ---- requester ---------------------------------------------------------------------------------------------
def _requester(home: Path | None) -> tuple[DevPool, dict[str, Any], LocalAccount, PocoClient, Domain]:
    pool = _pool(home)
    info = pool.home.read("pool.json")
    chain_info = pool.home.read("chain.json")
    if not info or not chain_info:
        raise ConfigError(f"no pool recorded in {pool.home.root}: start one with `workerpool up`")
    deployment = Deployment.from_json(chain_info)
    account = load_wallet(pool.home.wallet("requester"), DEV_PASSWORD)
    w3 = connect(info["node_url"])
    poco = PocoClient(w3, deployment.hub, sender=TxSender(w3, account, chain_id=deployment.chain_id))
    return pool, info, account, poco, Domain(deployment.chain_id, deployment.hub)


def app_register(home: Path | None, *, image: str, name: str, price_nrlc: int, quiet: bool = False) -> str:
    pool, _, account, poco, domain = _requester(home)
    address = create_app(poco.w3, Deployment.from_json(pool.home.read("chain.json")), account, name=name or image,
                         image=image)
    order = sign_order(AppOrder(app=address, appprice=price_nrlc, volume=1_000_000), domain, account.key)
    apps = pool.home.read("apps.json")
    apps[address] = {"image": image, "name": name or image, "order": order.to_json()}
    pool.home.write("apps.json", apps)
    if not quiet:
        out.print(f"app {address} registered for image {image}; app order signed (price {price_nrlc} nRLC)")
    return address


def _app_order(pool: DevPool, app_ref: str) -> AppOrder:
    apps = pool.home.read("apps.json")
    for address, entry in apps.items():
        if app_ref.lower() in (address.lower(), entry["image"]):
            return AppOrder.from_json(entry["order"])
    raise RequesterError(f"unknown app {app_ref!r}: register it with `workerpool app register IMAGE`")


def run(home: Path | None, app_ref: str, args: list[str], *, trust: int, category: int, output: Path,
        timeout_s: float, volume: int = 1) -> int:
    """Buy ``volume`` tasks of an app, follow them, verify every result. Exit code: 0 all verified, 1 a task
    failed, 2 a verified result is the app's error report, 3 a result does not match the chain."""
    started = time.monotonic()
    pool, info, account, poco, domain = _requester(home)
    request = RunRequest(app_order=_app_order(pool, app_ref), args=" ".join(args), trust=trust, category=category,
                         scheduler_url=info["scheduler_url"], volume=volume)
    outcome = buy_task(poco, domain, account.key, request)
    out.print(f"deal {outcome.deal_id}")
    for chain_task_id in outcome.task_ids:
        out.print(f"task {chain_task_id}")

    def show(index: int, chain_status: str, pool_status: str) -> None:
        label = f"[{index}] " if len(outcome.task_ids) > 1 else ""
        out.print(f"  {time.monotonic() - started:6.2f} s  {label}chain {chain_status:<10} pool {pool_status}")

    done = follow_tasks(poco, info["scheduler_url"], list(outcome.task_ids), on_status=show, timeout_s=timeout_s)
    codes = [_verify_one(done[t], output, started) for t in outcome.task_ids]
    return max(codes)


def _verify_one(chain_task: ChainTask, output: Path, started: float) -> int:
    if chain_task.status is not ChainTaskStatus.COMPLETED:
        err.print(f"[red]task {chain_task.task_id} ended {chain_task.status.name}[/] after "
                  f"{time.monotonic() - started:.1f} s")
        return 1
    try:
        zip_path, digest, files, app_failed = fetch_and_verify(chain_task, output)
    except ResultVerificationFailed as e:
        err.print(f"[bold red]result NOT verified:[/] {e}")
        return 3
    for name, text in sorted(files.items()):
        if name != "computed.json":
            out.print(f"[bold]{name}[/]\n{text.rstrip()}")
    out.print(f"[green]result verified[/] (digest {digest} matches the chain) in "
              f"{time.monotonic() - started:.2f} s -> {zip_path}")
    if app_failed:
        err.print("[yellow]the app failed: the verified result is its error report[/]")
        return 2
    return 0


def task_show(home: Path | None, chain_task_id: str) -> None:
    try:
        chain_task_id = normalize_bytes32(chain_task_id)
    except ValueError as e:
        raise RequesterError(f"{chain_task_id!r} is not a task id (0x followed by 64 hex digits)") from e
    _, info, _, poco, _ = _requester(home)
    chain_task = poco.view_task(chain_task_id)
    out.print(f"chain: {chain_task.status.name}, contributors {list(chain_task.contributors)}, "
              f"digest {chain_task.result_digest}")
    try:
        response = httpx.get(f"{info['scheduler_url']}/tasks/{chain_task_id}", timeout=10)
    except httpx.TransportError as e:
        raise RequesterError(f"scheduler at {info['scheduler_url']} is unreachable: {e}") from e
    out.print_json(json.dumps(response.json()) if response.status_code == 200 else '{"scheduler": "unknown task"}')
