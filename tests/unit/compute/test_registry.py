from __future__ import annotations

import pytest

from workerpool.compute.registry import RegistryCredentials, credentials_for, registry_host, split_image


@pytest.mark.parametrize(
    ("image", "host"),
    [
        ("alpine", "docker.io"),
        ("iexechub/app:1.0", "docker.io"),
        ("docker.io/iexechub/app:1", "docker.io"),
        ("index.docker.io/library/alpine", "docker.io"),
        ("127.0.0.1:5000/app:1", "127.0.0.1:5000"),
        ("localhost/app", "localhost"),
        ("registry.example.com/team/app@sha256:" + "0" * 64, "registry.example.com"),
    ],
)
def test_registry_host(image: str, host: str) -> None:
    assert registry_host(image) == host


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("alpine", ("alpine", "latest")),
        ("alpine:3", ("alpine", "3")),
        ("127.0.0.1:5000/app", ("127.0.0.1:5000/app", "latest")),
        ("127.0.0.1:5000/app:2", ("127.0.0.1:5000/app", "2")),
        ("app@sha256:abc", ("app", "sha256:abc")),
    ],
)
def test_split_image(image: str, expected: tuple[str, str]) -> None:
    assert split_image(image) == expected


def test_credentials_are_picked_by_registry_host() -> None:
    hub = RegistryCredentials("docker.io", "hub-user", "p1")
    local = RegistryCredentials("http://127.0.0.1:5000/", "local-user", "p2")

    assert credentials_for("iexechub/app:1", [local, hub]) == hub
    assert credentials_for("127.0.0.1:5000/app:1", [hub, local]) == local
    assert credentials_for("quay.io/app:1", [hub, local]) is None


def test_password_is_not_in_repr() -> None:
    assert "secret" not in repr(RegistryCredentials("docker.io", "u", "secret"))
