"""A complete local pool on one machine: dev chain, PoCo, funded wallets, workerpool, scheduler, workers.

Everything lives in one home folder (``WORKERPOOL_HOME``, default ``~/.workerpool``); processes run
detached and are recorded in ``pids.json`` so ``workerpool down`` can stop them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from workerpool.chain.devchain.accounts import account_balances, create_workerpool, fund_account
from workerpool.chain.devchain.deploy import DEV_DEPLOYER_KEY, Deployment, load_or_deploy
from workerpool.chain.devchain.node import start_hardhat_node
from workerpool.chain.node import connect
from workerpool.chain.wallet import create_wallet, load_wallet
from workerpool.common.errors import NodeUnreachable, WorkerpoolError

__all__ = ["PoolHome", "DevPool", "default_home", "DEV_PASSWORD"]

#: Password of the dev wallets (also written to <home>/wallets/password). Dev pools only.
DEV_PASSWORD = "workerpool-dev"


def default_home() -> Path:
    return Path(os.environ.get("WORKERPOOL_HOME", Path.home() / ".workerpool"))


@dataclass(frozen=True)
class PoolHome:
    root: Path

    def wallet(self, name: str) -> Path:
        return self.root / "wallets" / f"{name}.json"

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def read(self, name: str) -> dict[str, Any]:
        path = self.root / name
        return json.loads(path.read_text()) if path.is_file() else {}

    def write(self, name: str, data: dict[str, Any]) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))


def _answers(url: str) -> bool:
    try:
        connect(url, timeout_s=2)
        return True
    except NodeUnreachable:
        return False


class DevPool:
    def __init__(self, home: Path, *, chain_port: int = 8545, scheduler_port: int = 13000,
                 worker_port_base: int = 13100, node_url: str | None = None, ask_period_ms: int = 250):
        self.home = PoolHome(home)
        self.chain_port = chain_port
        self.node_url = node_url or f"http://127.0.0.1:{chain_port}"
        self.scheduler_port = scheduler_port
        self.worker_port_base = worker_port_base
        self.ask_period_ms = ask_period_ms
        #: children started by this object, kept so they can be reaped (the CLI leaves them running detached)
        self._children: dict[str, Any] = {}

    # ---- chain -------------------------------------------------------------------------------------------
    def ensure_chain(self) -> tuple[Web3, Deployment]:
        """Start the dev node unless one answers, then deploy PoCo once (reused while the node lives)."""
        if not _answers(self.node_url):
            node = start_hardhat_node(port=self.chain_port, log_path=self.home.log("chain"))
            self._children["chain"] = node
            self._record_pid("chain", node.pid)
        w3 = connect(self.node_url)
        deployment, deployed_now = load_or_deploy(w3, self.home.root, deployer=Account.from_key(DEV_DEPLOYER_KEY))
        if deployed_now:
            # A fresh chain: off-chain state of the previous one (tasks, deal cursor, results) is meaningless.
            for stale in ("scheduler", "workers", "apps.json"):
                path = self.home.root / stale
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        return w3, deployment

    def account(self, name: str) -> LocalAccount:
        path = self.home.wallet(name)
        if not path.is_file():
            create_wallet(path, DEV_PASSWORD, kdf="pbkdf2")
            (path.parent / "password").write_text(DEV_PASSWORD)
        return load_wallet(path, DEV_PASSWORD)

    def fund(self, w3: Web3, deployment: Deployment, account: LocalAccount) -> None:
        if account_balances(w3, deployment, account.address)["stake_nrlc"] >= 100 * 10**9:
            return
        fund_account(w3, deployment, Account.from_key(DEV_DEPLOYER_KEY), account)

    def ensure_pool(self, workers: int) -> dict[str, Any]:
        """Chain, wallets (funded, staked), the registered workerpool; writes pool.json."""
        w3, deployment = self.ensure_chain()
        scheduler = self.account("scheduler")
        names = ["requester"] + [f"worker-{i}" for i in range(1, workers + 1)]
        for account in [scheduler] + [self.account(n) for n in names]:
            self.fund(w3, deployment, account)
        pool = create_workerpool(w3, deployment, scheduler, "workerpool dev pool")
        info = {"pool": pool, "scheduler": scheduler.address.lower(), "node_url": self.node_url,
                "scheduler_url": f"http://127.0.0.1:{self.scheduler_port}", "hub": deployment.hub,
                "chain_id": deployment.chain_id, "workers": workers}
        self.home.write("pool.json", info)
        return info

    # ---- processes ---------------------------------------------------------------------------------------
    def scheduler_env(self, info: dict[str, Any]) -> dict[str, str]:
        return {"IEXEC_CORE_PORT": str(self.scheduler_port), "IEXEC_CORE_HOST": "127.0.0.1",
                "IEXEC_CORE_WALLET_PATH": str(self.home.wallet("scheduler")),
                "IEXEC_CORE_WALLET_PASSWORD": DEV_PASSWORD,
                "IEXEC_PRIVATE_CHAIN_ADDRESS": self.node_url, "IEXEC_HUB_ADDRESS": info["hub"],
                "POOL_ADDRESS": info["pool"], "IEXEC_CHAIN_ID": str(info["chain_id"]),
                "IEXEC_CORE_STATE_DIR": str(self.home.root / "scheduler"),
                "IEXEC_ASK_REPLICATE_PERIOD": str(self.ask_period_ms), "IEXEC_CORE_CHAIN_POLL_PERIOD_S": "0.25"}

    def worker_env(self, info: dict[str, Any], index: int) -> dict[str, str]:
        return {"IEXEC_CORE_HOST": "127.0.0.1", "IEXEC_CORE_PORT": str(self.scheduler_port),
                "IEXEC_WORKER_NAME": f"worker-{index}", "IEXEC_WORKER_PORT": str(self.worker_port_base + index),
                "IEXEC_WORKER_BASE_DIR": str(self.home.root / "workers"),
                "IEXEC_WORKER_WALLET_PATH": str(self.home.wallet(f"worker-{index}")),
                "IEXEC_WORKER_WALLET_PASSWORD": DEV_PASSWORD, "POOL_ADDRESS": info["pool"],
                "IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT": "1"}

    def spawn(self, name: str, command: str, env: dict[str, str], *, launcher: list[str] | None = None) -> int:
        """Start ``workerpool <command>`` detached (``launcher`` replaces ``python -m workerpool.cli.main``)."""
        log_path = self.home.log(name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = [*(launcher or [sys.executable, "-m", "workerpool.cli.main"]), command]
        with log_path.open("ab") as log_file:
            process = subprocess.Popen(argv,
                                       env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=log_file,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self._children[name] = process
        self._record_pid(name, process.pid)
        return process.pid

    def start_scheduler(self, info: dict[str, Any], extra_env: dict[str, str] | None = None) -> int:
        pid = self.spawn("scheduler", "scheduler", {**self.scheduler_env(info), **(extra_env or {})})
        wait_http(f"{info['scheduler_url']}/actuator/health", timeout_s=60, log_path=self.home.log("scheduler"))
        return pid

    def start_worker(self, info: dict[str, Any], index: int, *, launcher: list[str] | None = None,
                     extra_env: dict[str, str] | None = None) -> int:
        pid = self.spawn(f"worker-{index}", "worker", {**self.worker_env(info, index), **(extra_env or {})},
                         launcher=launcher)
        wait_http(f"http://127.0.0.1:{self.worker_port_base + index}/actuator/health", timeout_s=60,
                  log_path=self.home.log(f"worker-{index}"))
        return pid

    def _record_pid(self, name: str, pid: int) -> None:
        pids = self.home.read("pids.json")
        pids[name] = pid
        self.home.write("pids.json", pids)

    def stop(self, name: str) -> bool:
        pids = self.home.read("pids.json")
        pid = pids.pop(name, None)
        self.home.write("pids.json", pids)
        stopped = _terminate(pid) if pid else False
        child = self._children.pop(name, None)
        if child is not None:
            child.stop() if hasattr(child, "stop") else child.wait(timeout=10)
        return stopped

    def down(self) -> list[str]:
        # Workers first (they would log the scheduler's absence), then the scheduler, then the chain.
        names = sorted((n for n in self.home.read("pids.json") if n != "chain"), key=lambda n: n == "scheduler")
        stopped = [name for name in names if self.stop(name)]
        if self.stop("chain"):
            stopped.append("chain")
        return stopped


def _terminate(pid: int) -> bool:
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    for _ in range(50):
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True


def wait_http(url: str, *, timeout_s: float, log_path: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    tail = log_path.read_text()[-2000:] if log_path and log_path.is_file() else ""
    raise WorkerpoolError(f"{url} did not answer within {timeout_s:.0f} s; log tail:\n{tail}")
