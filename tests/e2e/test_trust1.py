"""A trust-1 task bought with the requester CLI completes on chain with a verified result."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Pool, task_id_of
from workerpool.common.statuses import ChainTaskStatus

pytestmark = [pytest.mark.e2e, pytest.mark.chain, pytest.mark.docker, pytest.mark.timeout(240)]

EXPECTED_REPLICATE_PATH = [
    "CREATED", "RUNNING", "STARTING", "STARTED", "APP_DOWNLOADING", "APP_DOWNLOADED", "DATA_DOWNLOADING",
    "DATA_DOWNLOADED", "COMPUTING", "COMPUTED", "CAN_CONTRIBUTE", "CONTRIBUTING", "CONTRIBUTED", "REVEALING",
    "REVEALED", "RESULT_UPLOAD_REQUESTED", "RESULT_UPLOADING", "RESULT_UPLOADED", "COMPLETING", "COMPLETED",
]


def test_run_demo_app_trust1_completes_with_verified_result(pool: Pool, demo_image: str) -> None:
    done = pool.cli("run", demo_image, "hello", "e2e", "--trust", "1")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "result verified" in done.stdout
    assert "args: hello e2e" in done.stdout
    chain_task_id = task_id_of(done.stdout)
    task = pool.poco.view_task(chain_task_id)
    assert task.status is ChainTaskStatus.COMPLETED
    assert len(task.contributors) == 1
    view = pool.task_view(chain_task_id)
    assert view["currentStatus"] == "COMPLETED"
    assert view["resultDigest"] == task.result_digest
    statuses = [s["status"] for s in view["replicates"][0]["statusUpdateList"]]
    # COMPLETED is reported just after finalize; allow the worker a moment by checking the prefix at least.
    assert statuses == EXPECTED_REPLICATE_PATH[: len(statuses)]
    assert len(statuses) >= EXPECTED_REPLICATE_PATH.index("RESULT_UPLOADED") + 1


def test_failing_app_gives_a_verified_error_result(pool: Pool, failing_image: str) -> None:
    pool.register_app(failing_image)

    done = pool.cli("run", failing_image, "x")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "APP_COMPUTE_FAILED" in done.stdout
    assert "the app failed" in done.stderr
    view = pool.task_view(task_id_of(done.stdout))
    computed = next(s for s in view["replicates"][0]["statusUpdateList"] if s["status"] == "COMPUTED")
    assert computed["cause"] == "APP_COMPUTE_FAILED"


def test_unknown_image_gives_app_download_failed_and_an_error_result(pool: Pool) -> None:
    image = "127.0.0.1:1/workerpool/does-not-exist:1"  # nothing listens on port 1: refused at once
    pool.register_app(image)

    done = pool.cli("run", image, "x")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "APP_IMAGE_DOWNLOAD_FAILED" in done.stdout
    view = pool.task_view(task_id_of(done.stdout))
    failed = next(s for s in view["replicates"][0]["statusUpdateList"] if s["status"] == "APP_DOWNLOAD_FAILED")
    assert failed["cause"] == "APP_IMAGE_DOWNLOAD_FAILED"
