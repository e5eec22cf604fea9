"""Real Docker engine fixtures: skipped locally without an engine, failed in CI (tests/services.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.services import require_service
from workerpool.common.errors import DockerUnavailable
from workerpool.compute.images import (
    FAILING_APP_SCRIPT,
    SLEEPING_APP_SCRIPT,
    build_busybox_image,
    build_demo_app,
)
from workerpool.compute.runtime import DockerRuntime

FAILING_APP = "workerpool/test-failing-app:1"
SLEEPING_APP = "workerpool/test-sleeping-app:1"
REGISTRY_BIN = Path("/usr/bin/docker-registry")


@pytest.fixture(scope="session")
def docker_runtime() -> Iterator[DockerRuntime]:
    try:
        runtime = DockerRuntime.connect()
    except DockerUnavailable:
        runtime = None
    require_service(runtime is not None, "Docker engine")
    assert runtime is not None
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def demo_image(docker_runtime: DockerRuntime) -> str:
    build_demo_app(docker_runtime)
    return "workerpool/demo-app:1"


@pytest.fixture(scope="session")
def failing_image(docker_runtime: DockerRuntime) -> str:
    build_busybox_image(docker_runtime, FAILING_APP, FAILING_APP_SCRIPT)
    return FAILING_APP


@pytest.fixture(scope="session")
def sleeping_image(docker_runtime: DockerRuntime) -> str:
    build_busybox_image(docker_runtime, SLEEPING_APP, SLEEPING_APP_SCRIPT)
    return SLEEPING_APP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass(frozen=True)
class LocalRegistry:
    address: str  #: host:port
    username: str | None  #: None when htpasswd is unavailable (registry without auth)
    password: str | None


def _registry_config(root: Path, port: int, htpasswd_file: Path | None) -> Path:
    auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {htpasswd_file}\n" if htpasswd_file else ""
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n" + auth
    )
    return config


@pytest.fixture(scope="session")
def local_registry(tmp_path_factory: pytest.TempPathFactory, docker_runtime: DockerRuntime) -> Iterator[LocalRegistry]:
    require_service(REGISTRY_BIN.is_file(), "docker-registry (apt-get install docker-registry)")
    root = tmp_path_factory.mktemp("registry")
    username, password = "pool-user", "pool-secret"
    htpasswd_file: Path | None = root / "htpasswd"
    if shutil.which("htpasswd"):
        subprocess.run(["htpasswd", "-Bbc", str(htpasswd_file), username, password], check=True, capture_output=True)
    else:
        htpasswd_file = None
    port = free_port()
    with (root / "registry.log").open("wb") as log:
        process = subprocess.Popen(
            [str(REGISTRY_BIN), "serve", str(_registry_config(root, port, htpasswd_file))],
            stdout=log,
            stderr=log,
        )
    try:
        assert wait_for_port(port, 15), (root / "registry.log").read_text()
        if htpasswd_file:
            yield LocalRegistry(f"127.0.0.1:{port}", username, password)
        else:
            yield LocalRegistry(f"127.0.0.1:{port}", None, None)
    finally:
        process.terminate()
        process.wait(10)
