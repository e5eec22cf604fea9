"""Pulls from a real local docker-registry (htpasswd auth when `htpasswd` is available)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import docker.errors
import pytest

from tests.fixtures_docker import LocalRegistry
from workerpool.common.statuses import ReplicateStatusCause as Cause
from workerpool.compute.registry import RegistryCredentials
from workerpool.compute.runtime import DockerRuntime

pytestmark = pytest.mark.docker


def _creds(registry: LocalRegistry, password: str | None = None) -> RegistryCredentials:
    assert registry.username is not None and registry.password is not None
    return RegistryCredentials(registry.address, registry.username, password or registry.password)


@pytest.fixture(scope="module")
def pushed_image(docker_runtime: DockerRuntime, demo_image: str, local_registry: LocalRegistry) -> str:
    repository = f"{local_registry.address}/demo-app"
    client = docker_runtime.client
    client.images.get(demo_image).tag(repository, "1")
    auth = None if local_registry.username is None else {
        "username": local_registry.username, "password": local_registry.password,
    }  # fmt: skip
    events = list(client.api.push(repository, tag="1", stream=True, decode=True, auth_config=auth))
    assert not [e for e in events if e.get("error")], events
    return f"{repository}:1"


@pytest.fixture
def absent(docker_runtime: DockerRuntime, pushed_image: str) -> Iterator[str]:
    """The pushed image, untagged locally before and after the test (the layers stay)."""

    def untag() -> None:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_runtime.client.images.remove(pushed_image)

    untag()
    assert not docker_runtime.is_image_present(pushed_image)
    yield pushed_image
    untag()


def test_pull_with_credentials(local_registry: LocalRegistry, absent: str) -> None:
    creds = [_creds(local_registry)] if local_registry.username else []
    runtime = DockerRuntime.connect(credentials=[RegistryCredentials("docker.io", "hub", "x"), *creds])
    try:
        pull = runtime.pull_image(absent, timeout_s=60)

        assert pull.ok, pull.message
        assert runtime.is_image_present(absent)
    finally:
        runtime.close()


def test_pull_without_or_with_wrong_credentials_is_refused(local_registry: LocalRegistry, absent: str) -> None:
    if local_registry.username is None:
        pytest.skip("htpasswd is not installed: the local registry runs without auth")
    for credentials in ([], [_creds(local_registry, password="wrong")]):
        runtime = DockerRuntime.connect(credentials=credentials)
        try:
            pull = runtime.pull_image(absent, timeout_s=60)
        finally:
            runtime.close()

        assert not pull.ok and pull.cause is Cause.APP_IMAGE_DOWNLOAD_FAILED
        assert absent in pull.message
        assert re.search("unauthorized|no basic auth credentials", pull.message, re.IGNORECASE), pull.message
        assert not runtime.is_image_present(absent)


def test_unknown_tag_on_a_live_registry(local_registry: LocalRegistry, docker_runtime: DockerRuntime) -> None:
    creds = [_creds(local_registry)] if local_registry.username else []
    runtime = DockerRuntime.connect(credentials=creds)
    try:
        pull = runtime.pull_image(f"{local_registry.address}/demo-app:does-not-exist", timeout_s=30)
    finally:
        runtime.close()

    assert not pull.ok and pull.cause is Cause.APP_IMAGE_DOWNLOAD_FAILED
    assert "not found" in pull.message.lower() or "unknown" in pull.message.lower(), pull.message
