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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from tests.fixtures_chain import free_port
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.poco import PocoClient
from workerpool.cli.devpool import DevPool
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


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory, w3: Web3, deployment: Deployment, hardhat_node: Any,
         docker_runtime: DockerRuntime, demo_image: str) -> Iterator[Pool]:
    home = tmp_path_factory.mktemp("pool")
    (home / "chain.json").write_text(json.dumps(deployment.to_json()))  # reuse the session's PoCo
    scheduler_port, worker_port = free_port(), free_port()
    dev = DevPool(home, node_url=hardhat_node.url, scheduler_port=scheduler_port, worker_port_base=worker_port - 1,
                  ask_period_ms=500)
    info = dev.ensure_pool(workers=1)
    build_busybox_image(docker_runtime, SLOW_APP, SLOW_APP_SCRIPT)
    try:
        dev.start_scheduler(info)
        dev.start_worker(info, 1)
        pool = Pool(dev=dev, info=info, home=home, poco=PocoClient(w3, deployment.hub))
        pool.register_app(demo_image)
        yield pool
    finally:
        dev.down()
        for log in sorted((home / "logs").glob("*.log")):
            sys.stderr.write(f"\n---- {log.name} (tail) ----\n{log.read_text()[-3000:]}")


def wait_for(condition: Any, timeout_s: float, what: str, period_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(period_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
