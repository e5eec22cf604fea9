"""Stopping and restarting the scheduler in the middle of a task loses nothing: the task still completes."""

from __future__ import annotations

import os
import signal

import pytest

from tests.e2e.conftest import SLOW_APP, Pool, task_id_of, wait_for
from workerpool.common.statuses import ChainTaskStatus

pytestmark = [pytest.mark.e2e, pytest.mark.chain, pytest.mark.docker, pytest.mark.timeout(240)]


def test_scheduler_killed_mid_task_then_restarted_task_completes(pool: Pool) -> None:
    pool.register_app(SLOW_APP)
    run = pool.cli_background("run", SLOW_APP, "survive", "restart")
    try:
        first_line = run.stdout.readline() if run.stdout else ""
        second_line = run.stdout.readline() if run.stdout else ""
        chain_task_id = task_id_of(first_line + second_line)
        # Wait until the worker is computing, then kill the scheduler hard (no clean shutdown).
        wait_for(lambda: pool.task_view(chain_task_id).get("currentStatus") == "RUNNING", 60, "task RUNNING")
        pid = pool.dev.home.read("pids.json")["scheduler"]
        os.killpg(pid, signal.SIGKILL)
        pool.dev.stop("scheduler")

        pool.dev.start_scheduler(pool.info)

        output, _ = run.communicate(timeout=180)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, first_line + second_line + output
    assert "slow result for: survive restart" in output
    assert pool.poco.view_task(chain_task_id).status is ChainTaskStatus.COMPLETED
    view = pool.task_view(chain_task_id)
    assert view["currentStatus"] == "COMPLETED"
    statuses = [s["status"] for s in view["replicates"][0]["statusUpdateList"]]
    assert "CONTRIBUTED" in statuses and "RESULT_UPLOADED" in statuses
