"""DockerRuntime, run_app and post-compute against the real engine."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import docker.errors
import pytest
from docker.models.containers import ContainerCollection

from workerpool.common.statuses import ReplicateStatusCause as Cause
from workerpool.compute.app import AppTask, run_app
from workerpool.compute.layout import TaskDirs
from workerpool.compute.results import digest_of_result_zip, post_compute
from workerpool.compute.runtime import MANAGED_LABEL, ContainerSpec, DockerRuntime

pytestmark = pytest.mark.docker

DEAL = "0x" + "cd" * 32


def _task_id(n: int) -> str:
    return "0x" + f"{n:064x}"


def _app_task(task_id: str, image: str, args: str, timeout_s: int = 60) -> AppTask:
    return AppTask(task_id, DEAL, 0, 0, 1, image, args, timeout_s)


def _containers(runtime: DockerRuntime, fragment: str) -> list[str]:
    return [c.name for c in runtime.client.containers.list(all=True, filters={"name": fragment})]


def test_demo_app_end_to_end_is_deterministic(docker_runtime: DockerRuntime, demo_image: str, tmp_path: Path) -> None:
    task_id = _task_id(1)
    digests = []
    for worker in ("worker-a", "worker-b"):
        dirs = TaskDirs.for_task(tmp_path, worker, task_id)
        outcome = run_app(docker_runtime, _app_task(task_id, demo_image, "hello 'big world'"), dirs, worker_name=worker)
        assert outcome.succeeded, outcome
        assert task_id in outcome.stdout
        result = (dirs.iexec_out / "result.txt").read_text()
        assert "args: hello big world\n" in result
        assert (dirs.iexec_out / "stdout.txt").read_text() == outcome.stdout
        post = post_compute(dirs)
        assert post.digest == "0x" + hashlib.sha256(result.encode()).hexdigest()
        assert digest_of_result_zip(dirs.zip_path.read_bytes()) == post.digest
        with zipfile.ZipFile(dirs.zip_path) as archive:
            assert sorted(archive.namelist()) == ["computed.json", "result.txt", "stdout.txt"]
        digests.append(post.digest)
    assert digests[0] == digests[1]
    assert _containers(docker_runtime, task_id) == []


def test_failing_app(docker_runtime: DockerRuntime, failing_image: str, tmp_path: Path) -> None:
    task_id = _task_id(2)
    dirs = TaskDirs.for_task(tmp_path, "w", task_id)

    outcome = run_app(docker_runtime, _app_task(task_id, failing_image, ""), dirs, worker_name="w")

    assert outcome.cause is Cause.APP_COMPUTE_FAILED
    assert outcome.exit_code == 3
    assert "something went wrong" in outcome.stderr and "something" not in outcome.stdout
    assert not (dirs.iexec_out / "stderr.txt").exists()
    assert _containers(docker_runtime, task_id) == []


def test_timeout_kills_and_removes(docker_runtime: DockerRuntime, sleeping_image: str, tmp_path: Path) -> None:
    task_id = _task_id(3)
    dirs = TaskDirs.for_task(tmp_path, "w", task_id)

    outcome = run_app(docker_runtime, _app_task(task_id, sleeping_image, "", timeout_s=2), dirs, worker_name="w")

    assert outcome.cause is Cause.APP_COMPUTE_TIMEOUT and outcome.exit_code is None
    assert "going to sleep" in outcome.stdout
    assert 1.5 < outcome.duration_s < 15
    assert _containers(docker_runtime, task_id) == []


def test_missing_image_is_not_found_locally(docker_runtime: DockerRuntime, tmp_path: Path) -> None:
    task_id = _task_id(4)
    dirs = TaskDirs.for_task(tmp_path, "w", task_id)

    outcome = run_app(docker_runtime, _app_task(task_id, "workerpool/absent:0", ""), dirs, worker_name="w")

    assert outcome.cause is Cause.APP_NOT_FOUND_LOCALLY


def test_leftover_container_with_same_name_is_replaced(
    docker_runtime: DockerRuntime, demo_image: str, tmp_path: Path
) -> None:
    task_id = _task_id(5)
    docker_runtime.client.containers.create(demo_image, name=f"w-{task_id}")

    outcome = run_app(
        docker_runtime,
        _app_task(task_id, demo_image, "x"),
        TaskDirs.for_task(tmp_path, "w", task_id),
        worker_name="w",
    )

    assert outcome.succeeded
    assert _containers(docker_runtime, task_id) == []


def test_stop_containers_stops_only_managed_matches(docker_runtime: DockerRuntime, sleeping_image: str) -> None:
    task_id = _task_id(6)
    spec = ContainerSpec(name=f"w-{task_id}", image=sleeping_image, cmd=None, env={}, binds={}, timeout_s=60)
    foreign = docker_runtime.client.containers.run(sleeping_image, name=f"foreign-{task_id}", detach=True)
    runs = []
    thread = threading.Thread(target=lambda: runs.append(docker_runtime.run(spec)))
    try:
        thread.start()
        deadline = time.monotonic() + 20
        while spec.name not in _containers(docker_runtime, spec.name) and time.monotonic() < deadline:
            time.sleep(0.1)

        assert docker_runtime.stop_containers(task_id) == 1
        thread.join(20)

        assert runs and not runs[0].timed_out and runs[0].duration_s < 20
        assert _containers(docker_runtime, task_id) == [foreign.name]
        with pytest.raises(ValueError, match="must not be empty"):
            docker_runtime.stop_containers("")
    finally:
        foreign.remove(force=True)


def test_run_labels_containers(
    docker_runtime: DockerRuntime, demo_image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, str] = {}
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    original_create = ContainerCollection.create

    def spy(self: ContainerCollection, *args: Any, **kwargs: Any) -> Any:
        container = original_create(self, *args, **kwargs)
        seen.update(container.labels)
        return container

    monkeypatch.setattr(ContainerCollection, "create", spy)
    spec = ContainerSpec(
        name="w-labels", image=demo_image, cmd=["a"], env={}, binds={str(out): "/iexec_out"}, timeout_s=30,
        labels={"workerpool.task": "0xt"}, network_disabled=True, memory_bytes=64 << 20,
    )  # fmt: skip

    run = docker_runtime.run(spec)

    assert run.succeeded and (out / "result.txt").exists()
    assert seen.items() >= {MANAGED_LABEL: "1", "workerpool.task": "0xt"}.items()


def test_pull_present_image_is_ok_at_once(docker_runtime: DockerRuntime, demo_image: str) -> None:
    pull = docker_runtime.pull_image(demo_image, timeout_s=5)

    assert pull.ok and pull.cause is None and "already present" in pull.message


def test_pull_from_nothing_listening_fails_clearly(docker_runtime: DockerRuntime) -> None:
    started = time.monotonic()

    pull = docker_runtime.pull_image("127.0.0.1:5999/nope:1", timeout_s=20)

    assert not pull.ok and pull.cause is Cause.APP_IMAGE_DOWNLOAD_FAILED
    assert "127.0.0.1:5999/nope:1" in pull.message and "failed" in pull.message
    assert time.monotonic() - started < 20


def test_pull_timeout(docker_runtime: DockerRuntime) -> None:
    # A registry that accepts connections and never answers.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]

        pull = docker_runtime.pull_image(f"127.0.0.1:{port}/hang:1", timeout_s=2)

    assert not pull.ok and pull.cause is Cause.APP_IMAGE_DOWNLOAD_FAILED
    assert "timed out after 2 s" in pull.message


def test_images_are_built_once(docker_runtime: DockerRuntime, demo_image: str) -> None:
    from workerpool.compute.images import build_demo_app

    image_id = docker_runtime.client.images.get(demo_image).id
    started = time.monotonic()

    assert build_demo_app(docker_runtime) == image_id
    assert time.monotonic() - started < 1


def test_unknown_container_removal_is_quiet(docker_runtime: DockerRuntime) -> None:
    with pytest.raises(docker.errors.NotFound):
        docker_runtime.client.containers.get("workerpool-never-created")
    assert docker_runtime.stop_containers("workerpool-never-created") == 0
