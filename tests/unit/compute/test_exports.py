"""Pin the public surface the worker agent relies on (STYLE habit 14)."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "layout": {"TaskDirs", "worker_dir_tasks"},
    "runtime": {"ContainerRuntime", "DockerRuntime", "RegistryCredentials", "ContainerSpec", "ContainerRun",
                "ImagePull"},
    "fake": {"FakeRuntime"},
    "app": {"AppTask", "AppOutcome", "app_env", "split_args", "run_app"},
    "results": {"ComputedFile", "read_computed", "post_compute", "PostComputeOutcome", "write_error_result",
                "digest_of_result_zip"},
    "digest": {"result_digest"},
    "images": {"build_busybox_image", "build_demo_app", "DEMO_APP_SCRIPT", "FAILING_APP_SCRIPT",
               "SLEEPING_APP_SCRIPT"},
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_public_names_are_exported(module: str) -> None:
    mod = importlib.import_module(f"workerpool.compute.{module}")

    assert EXPECTED[module] <= set(mod.__all__)
    assert all(hasattr(mod, name) for name in mod.__all__)
