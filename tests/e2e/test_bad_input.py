"""Bad configuration gets a clear message, never a bare traceback; the worker keeps serving its health."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Pool, wait_for
from tests.fixtures_chain import free_port
from workerpool.cli.devpool import DEV_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.chain, pytest.mark.timeout(120)]


def _worker(pool: Pool, **overrides: str) -> subprocess.Popen[str]:
    env = {**os.environ, **pool.dev.worker_env(pool.info, 1), "IEXEC_WORKER_NAME": "probe",
           "IEXEC_WORKER_PORT": str(free_port()), **overrides}
    return subprocess.Popen([sys.executable, "-m", "workerpool.cli.main", "worker"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_wrong_wallet_password_is_a_clear_error(pool: Pool) -> None:
    worker = _worker(pool, IEXEC_WORKER_WALLET_PASSWORD="not-" + DEV_PASSWORD)
    output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 1
    assert "wrong password" in output
    assert "Traceback" not in output


def test_missing_wallet_file_is_a_clear_error(pool: Pool, tmp_path: Path) -> None:
    worker = _worker(pool, IEXEC_WORKER_WALLET_PATH=str(tmp_path / "nope.json"))
    output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 1
    assert "IEXEC_WORKER_WALLET_PATH" in output
    assert "Traceback" not in output


def test_invalid_setting_names_the_variable(pool: Pool) -> None:
    worker = _worker(pool, IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT="0")
    output, _ = worker.communicate(timeout=60)

    assert worker.returncode == 1
    assert "IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT" in output
    assert "Traceback" not in output


def test_unreachable_scheduler_worker_keeps_serving_health(pool: Pool) -> None:
    port = free_port()
    worker = _worker(pool, IEXEC_CORE_PORT=str(free_port()), IEXEC_WORKER_PORT=str(port))
    try:
        health = wait_for(lambda: _health(port), 30, "worker health endpoint")
        assert health["scheduler"] == "UNREACHABLE"
        time.sleep(1)
        assert worker.poll() is None, "the worker must keep running and retrying"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert "cannot reach the scheduler" in output
    assert "Traceback" not in output


def test_unreachable_node_for_the_scheduler_is_a_clear_error(pool: Pool) -> None:
    env = {**os.environ, **pool.dev.scheduler_env(pool.info),
           "IEXEC_PRIVATE_CHAIN_ADDRESS": f"http://127.0.0.1:{free_port()}", "IEXEC_CORE_PORT": str(free_port())}
    done = subprocess.run([sys.executable, "-m", "workerpool.cli.main", "scheduler"], env=env, text=True,
                          capture_output=True, timeout=60)

    assert done.returncode == 1
    assert "no Ethereum JSON-RPC node answers" in done.stderr
    assert "Traceback" not in done.stderr


def _health(port: int) -> dict[str, str] | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/actuator/health", timeout=2)
    except httpx.TransportError:
        return None
    return dict(response.json())
