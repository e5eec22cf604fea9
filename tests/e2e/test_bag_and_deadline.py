"""A bag of tasks spread over two workers, and a task that cannot finish before its final deadline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tests.e2e.conftest import make_pool, task_id_of, wait_for
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.wallet import load_wallet
from workerpool.cli.devpool import DEV_PASSWORD
from workerpool.common.statuses import ChainTaskStatus

pytestmark = [pytest.mark.e2e, pytest.mark.chain, pytest.mark.docker, pytest.mark.timeout(300)]


def test_deal_of_volume_5_spreads_over_two_workers(tmp_path: Path, w3: Web3, deployment: Deployment,
                                                   hardhat_node: Any, demo_image: str) -> None:
    with make_pool(tmp_path, w3, deployment, hardhat_node.url, workers=2) as pool:
        pool.register_app(demo_image)
        started = time.monotonic()
        done = pool.cli("run", demo_image, "bag", "--volume", "5", timeout_s=240)
        elapsed = time.monotonic() - started

    assert done.returncode == 0, done.stdout + done.stderr
    task_ids = [task_id_of(line) for line in done.stdout.splitlines() if line.startswith("task 0x")]
    assert len(task_ids) == 5
    assert done.stdout.count("result verified") == 5
    workers = set()
    for chain_task_id in task_ids:
        task = pool.poco.view_task(chain_task_id)
        assert task.status is ChainTaskStatus.COMPLETED
        workers.update(task.contributors)
    assert workers == {pool.wallet(1), pool.wallet(2)}
    print(f"\nvolume 5 on 2 workers: 5 replicates, {elapsed:.1f} s from run to 5 verified results")


def test_task_past_its_final_deadline_is_claimed_and_the_requester_refunded(
        tmp_path: Path, w3: Web3, deployment: Deployment, hardhat_node: Any, sleeping_image: str) -> None:
    from workerpool.chain.devchain.accounts import increase_time

    with make_pool(tmp_path, w3, deployment, hardhat_node.url, workers=1) as pool:
        pool.register_app(sleeping_image)
        requester = str(load_wallet(pool.dev.home.wallet("requester"), DEV_PASSWORD).address).lower()
        before = pool.poco.view_account(requester)
        started = time.monotonic()
        run = pool.cli_background("run", sleeping_image)
        lines = [run.stdout.readline() for _ in range(2)]
        chain_task_id = task_id_of("".join(lines))
        wait_for(lambda: pool.task_view(chain_task_id).get("currentStatus") == "RUNNING", 60, "task RUNNING")
        assert pool.poco.view_account(requester)[1] > 0  # the price is locked while the task runs
        increase_time(w3, 10 * 300 + 5)  # past the final deadline (10 x category XS time)
        output, _ = run.communicate(timeout=120)
        elapsed = time.monotonic() - started
        view = wait_for(lambda: _aborted_view(pool, chain_task_id), 30, "the replicate aborted")

    assert run.returncode == 1, output
    assert pool.poco.view_task(chain_task_id).status is ChainTaskStatus.FAILED
    assert pool.poco.view_account(requester) == before  # claimed: every locked nRLC is back
    assert view["currentStatus"] == "FAILED"
    assert "CLAIMED" in [s["status"] for s in view["dateStatusList"]]
    print(f"\nfinal deadline: claimed and refunded, {elapsed:.1f} s")


def _aborted_view(pool: Any, chain_task_id: str) -> dict[str, Any] | None:
    view = pool.task_view(chain_task_id)
    statuses = [s["status"] for s in view["replicates"][0]["statusUpdateList"]] if view.get("replicates") else []
    return view if any(s.startswith("ABORTED") for s in statuses) else None
