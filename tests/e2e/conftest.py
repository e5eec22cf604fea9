"""A whole local pool as real processes (scheduler + workers) on the session's Hardhat chain.

The requester side runs the real CLI in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from tests.fixtures_chain import free_port
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.poco import PocoClient
from workerpool.chain.wallet import load_wallet
from workerpool.cli.devpool import DEV_PASSWORD, DevPool
from workerpool.compute.images import build_busybox_image
from workerpool.compute.runtime import DockerRuntime

SLOW_APP = "workerpool/test-slow-app:1"
#: Computes for a few seconds, then writes a deterministic result (scheduler-restart test).
SLOW_APP_SCRIPT = r"""
set -eu
echo "slow-app: working"
sleep 6
printf 'slow result for: %s\n' "$*" > "$IEXEC_OUT/result.txt"
printf '{"deterministic-output-path": "/iexec_out/result.txt"}' > "$IEXEC_OUT/computed.json"
"""


@dataclass
class Pool:
    dev: DevPool
    info: dict[str, Any]
    home: Path
    poco: PocoClient
    launchers: dict[int, list[str]] = field(default_factory=dict)

    def start_worker(self, index: int) -> None:
        self.dev.start_worker(self.info, index, launcher=self.launchers.get(index))

    def wallet(self, index: int) -> str:
        return str(load_wallet(self.dev.home.wallet(f"worker-{index}"), DEV_PASSWORD).address).lower()

    def pid(self, name: str) -> int:
        return int(self.dev.home.read("pids.json")[name])

    @property
    def scheduler_url(self) -> str:
        return str(self.info["scheduler_url"])

    def cli(self, *args: str, timeout_s: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workerpool.cli.main", *args, "--home", str(self.home)],
                              capture_output=True, text=True, timeout=timeout_s, cwd=self.home,
                              env={**os.environ, "COLUMNS": "200"})

    def cli_background(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "workerpool.cli.main", *args, "--home", str(self.home)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.home,
                                env={**os.environ, "COLUMNS": "200"})

    def task_view(self, chain_task_id: str) -> dict[str, Any]:
        response = httpx.get(f"{self.scheduler_url}/tasks/{chain_task_id}", timeout=10)
        return dict(response.json()) if response.status_code == 200 else {}

    def register_app(self, image: str) -> str:
        done = self.cli("app", "register", image)
        assert done.returncode == 0, done.stderr
        return image


def task_id_of(output: str) -> str:
    match = re.search(r"task (0x[0-9a-f]{64})", output)
    assert match, f"no task id in:\n{output}"
    return match.group(1)


#: Scheduler settings for end-to-end runs: detectors every second, lost workers after 15 s (pings are 10 s).
FAST_SCHEDULER_ENV = {"REVEAL_TIMEOUT_PERIOD": "1000", "IEXEC_CORE_DETECTOR_PERIOD_S": "1",
                      "IEXEC_CORE_WORKER_LOST_AFTER_S": "15", "IEXEC_CORE_RESULT_UPLOAD_TIMEOUT_S": "30"}


def rogue(mode: str) -> list[str]:
    """Launcher of a misbehaving worker (tests/e2e/rogue.py)."""
    return [sys.executable, "-m", "tests.e2e.rogue", mode]


@contextmanager
def make_pool(home: Path, w3: Web3, deployment: Deployment, node_url: str, *, workers: int,
              start_workers: int | None = None, launchers: dict[int, list[str]] | None = None) -> Iterator[Pool]:
    """A pool with ``workers`` funded wallets, the first ``start_workers`` of them running."""
    (home / "chain.json").write_text(json.dumps(deployment.to_json()))  # reuse the session's PoCo
    worker_port = free_port()
    dev = DevPool(home, node_url=node_url, scheduler_port=free_port(), worker_port_base=worker_port - 1)
    info = dev.ensure_pool(workers=workers)
    pool = Pool(dev=dev, info=info, home=home, poco=PocoClient(w3, deployment.hub), launchers=launchers or {})
    try:
        dev.start_scheduler(info, FAST_SCHEDULER_ENV)
        for index in range(1, (workers if start_workers is None else start_workers) + 1):
            pool.start_worker(index)
        yield pool
    finally:
        dev.down()
        for log in sorted((home / "logs").glob("*.log")):
            sys.stderr.write(f"\n---- {log.name} (tail) ----\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def slow_image(docker_runtime: DockerRuntime) -> str:
    build_busybox_image(docker_runtime, SLOW_APP, SLOW_APP_SCRIPT)
    return SLOW_APP


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, w3: Web3, deployment: Deployment, hardhat_node: Any,
         docker_runtime: DockerRuntime, demo_image: str, slow_image: str) -> Iterator[Pool]:
    with make_pool(tmp_path_factory.mktemp("pool"), w3, deployment, hardhat_node.url, workers=1) as pool:
        pool.register_app(demo_image)
        yield pool


def wait_for(condition: Any, timeout_s: float, what: str, period_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(period_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
