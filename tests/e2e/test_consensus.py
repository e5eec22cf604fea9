"""Replication and consensus across real worker processes (issue: trust levels, liars, lost workers)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tests.e2e.conftest import Pool, make_pool, rogue, task_id_of, wait_for
from workerpool.chain.devchain.deploy import Deployment
from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus

pytestmark = [pytest.mark.e2e, pytest.mark.chain, pytest.mark.docker, pytest.mark.timeout(300)]


def _replicates(pool: Pool, chain_task_id: str) -> dict[str, list[str]]:
    view = pool.task_view(chain_task_id)
    return {r["walletAddress"]: [s["status"] for s in r["statusUpdateList"]] for r in view.get("replicates", [])}


def _ended(pool: Pool, chain_task_id: str, wallet: str) -> dict[str, list[str]] | None:
    replicates = _replicates(pool, chain_task_id)
    last = replicates.get(wallet, ["?"])[-1]
    return replicates if last.startswith("ABORTED") or last in ("COMPLETED", "FAILED") else None


def _read_task_ids(run: Any, count: int) -> list[str]:
    lines = [run.stdout.readline() for _ in range(count + 1)]
    return [task_id_of(line) for line in lines[1:]]


def test_trust3_one_liar_is_left_out_and_loses_its_stake(tmp_path: Path, w3: Web3, deployment: Deployment,
                                                          hardhat_node: Any, demo_image: str) -> None:
    # Fresh workers weigh 2: with one dissenting contribution, trust 3 needs three agreeing ones
    # (groups 8 vs total 11: 24 > 22). So: an honest worker and the liar first, two more honest ones later.
    with make_pool(tmp_path, w3, deployment, hardhat_node.url, workers=4, start_workers=2,
                   launchers={2: rogue("liar")}) as pool:
        pool.register_app(demo_image)
        liar = pool.wallet(2)
        liar_before = pool.poco.view_account(liar)
        started = time.monotonic()
        run = pool.cli_background("run", demo_image, "consensus", "--trust", "3")
        [chain_task_id] = _read_task_ids(run, 1)
        wait_for(lambda: len(pool.poco.view_task(chain_task_id).contributors) == 2, 90, "two contributions")
        assert pool.poco.view_task(chain_task_id).status is ChainTaskStatus.ACTIVE  # they disagree
        pool.start_worker(3)
        pool.start_worker(4)
        output, _ = run.communicate(timeout=180)
        elapsed = time.monotonic() - started
        replicates = wait_for(lambda: _ended(pool, chain_task_id, liar), 30, "the liar's replicate ends")

    assert run.returncode == 0, output
    task = pool.poco.view_task(chain_task_id)
    assert task.status is ChainTaskStatus.COMPLETED
    assert len(task.contributors) == 4
    assert pool.poco.view_contribution(chain_task_id, liar).status is ChainContributionStatus.CONTRIBUTED
    honest = [pool.wallet(i) for i in (1, 3, 4)]
    assert all(pool.poco.view_contribution(chain_task_id, w).status is ChainContributionStatus.PROVED for w in honest)
    assert all(pool.poco.view_score(w) == 1 for w in honest)
    deal = pool.poco.view_deal(task.deal_id)
    assert pool.poco.view_account(liar) == (liar_before[0] - deal.worker_stake, 0)  # stake seized
    assert "ABORTED_ON_CONSENSUS_REACHED" in replicates[liar]
    print(f"\ntrust 3 with one liar: 4 replicates, {elapsed:.1f} s from run to verified result")


def test_worker_killed_mid_compute_task_completes_on_another(tmp_path: Path, w3: Web3, deployment: Deployment,
                                                            hardhat_node: Any, slow_image: str) -> None:
    with make_pool(tmp_path, w3, deployment, hardhat_node.url, workers=2, start_workers=1) as pool:
        pool.register_app(slow_image)
        started = time.monotonic()
        run = pool.cli_background("run", slow_image, "killed")
        [chain_task_id] = _read_task_ids(run, 1)
        victim = pool.wallet(1)
        wait_for(lambda: "COMPUTING" in _replicates(pool, chain_task_id).get(victim, []), 60, "worker-1 computing")
        pool.start_worker(2)
        os.killpg(pool.pid("worker-1"), signal.SIGKILL)
        output, _ = run.communicate(timeout=180)
        elapsed = time.monotonic() - started
        replicates = _replicates(pool, chain_task_id)

    assert run.returncode == 0, output
    assert "WORKER_LOST" in replicates[victim]
    assert replicates[pool.wallet(2)][-1] in ("COMPLETING", "COMPLETED", "RESULT_UPLOADED")
    assert pool.poco.view_task(chain_task_id).contributors == (pool.wallet(2),)
    print(f"\nworker SIGKILLed mid-compute: 2 replicates, {elapsed:.1f} s from run to verified result")


def test_revealer_that_never_reveals_reveal_timeout_reopen_then_completion(
        tmp_path: Path, w3: Web3, deployment: Deployment, hardhat_node: Any, demo_image: str) -> None:
    from workerpool.chain.devchain.accounts import increase_time

    with make_pool(tmp_path, w3, deployment, hardhat_node.url, workers=2, start_workers=1,
                   launchers={1: rogue("silent-revealer")}) as pool:
        pool.register_app(demo_image)
        started = time.monotonic()
        run = pool.cli_background("run", demo_image, "reveal", "timeout")
        [chain_task_id] = _read_task_ids(run, 1)
        wait_for(lambda: pool.poco.view_task(chain_task_id).status is ChainTaskStatus.REVEALING, 60, "consensus")
        pool.start_worker(2)
        increase_time(w3, 2 * 300 + 5)  # past the reveal deadline (2 x category XS time after consensus)
        output, _ = run.communicate(timeout=180)
        elapsed = time.monotonic() - started
        replicates = _replicates(pool, chain_task_id)
        statuses = [s["status"] for s in pool.task_view(chain_task_id)["dateStatusList"]]

    assert run.returncode == 0, output
    silent, honest = pool.wallet(1), pool.wallet(2)
    assert pool.poco.view_contribution(chain_task_id, silent).status is ChainContributionStatus.REJECTED
    assert pool.poco.view_contribution(chain_task_id, honest).status is ChainContributionStatus.PROVED
    assert "REVEAL_TIMEOUT" in replicates[silent]
    assert "REOPENED" in statuses and statuses[-1] == "COMPLETED"
    print(f"\nreveal timeout then reopen: 2 replicates, {elapsed:.1f} s from run to verified result")


def test_trust3_honest_workers_use_exactly_two_replicates(tmp_path: Path, w3: Web3, deployment: Deployment,
                                                         hardhat_node: Any, demo_image: str) -> None:
    # Two agreeing fresh workers reach trust 3 (groups 4 vs total 5: 12 > 10): the third one is not asked.
    with make_pool(tmp_path, w3, deployment, hardhat_node.url, workers=3) as pool:
        pool.register_app(demo_image)
        started = time.monotonic()
        done = pool.cli("run", demo_image, "honest", "--trust", "3")
        elapsed = time.monotonic() - started
        chain_task_id = task_id_of(done.stdout)
        replicates = _replicates(pool, chain_task_id)

    assert done.returncode == 0, done.stdout + done.stderr
    task = pool.poco.view_task(chain_task_id)
    assert task.status is ChainTaskStatus.COMPLETED
    assert len(task.contributors) == 2
    assert len(replicates) == 2
    assert all(pool.poco.view_contribution(chain_task_id, w).status is ChainContributionStatus.PROVED
               for w in task.contributors)
    print(f"\ntrust 3, honest workers: 2 replicates of 3 workers, {elapsed:.1f} s from run to verified result")
