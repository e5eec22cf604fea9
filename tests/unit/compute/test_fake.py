from __future__ import annotations

import threading

from workerpool.common.statuses import ReplicateStatusCause as Cause
from workerpool.compute.fake import FakeRuntime, exits_with
from workerpool.compute.runtime import ContainerRun, ContainerSpec


def _spec(name: str, image: str) -> ContainerSpec:
    return ContainerSpec(name=name, image=image, cmd=None, env={}, binds={}, timeout_s=5)


def test_pull_outcomes() -> None:
    runtime = FakeRuntime(images=["a:1"], behaviours={"b:1": exits_with(0)}, pull_failures={"c:1": "denied"})

    assert runtime.pull_image("a:1", timeout_s=1).ok
    assert runtime.pull_image("b:1", timeout_s=1).ok and runtime.is_image_present("b:1")
    failed = runtime.pull_image("c:1", timeout_s=1)
    assert not failed.ok and failed.cause is Cause.APP_IMAGE_DOWNLOAD_FAILED and "denied" in failed.message
    assert not runtime.pull_image("d:1", timeout_s=1).ok
    assert runtime.pulls == ["a:1", "b:1", "c:1", "d:1"]


def test_stop_containers_counts_running_matches() -> None:
    started, release = threading.Event(), threading.Event()

    def blocking(spec: ContainerSpec) -> ContainerRun:
        started.set()
        release.wait(5)
        return ContainerRun(None, False, "", "", 0.0)

    runtime = FakeRuntime(images=["s:1"], behaviours={"s:1": blocking})
    thread = threading.Thread(target=runtime.run, args=(_spec("w-0xtask", "s:1"),))
    thread.start()
    started.wait(5)

    assert runtime.stop_containers("0xtask") == 1
    assert runtime.stop_containers("0xother") == 0
    release.set()
    thread.join(5)
    assert runtime.stops == ["0xtask", "0xother"]
