"""Image references and registry credentials, pure (worker-spec 5.2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["DOCKER_HUB", "RegistryCredentials", "registry_host", "split_image", "credentials_for"]

#: the address Docker Hub credentials are filed under
DOCKER_HUB = "docker.io"

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})


@dataclass(frozen=True)
class RegistryCredentials:
    """Login for one registry; ``address`` is the host (with port), ``docker.io`` for Docker Hub."""

    address: str
    username: str
    password: str = field(repr=False)


def _normalize_host(host: str) -> str:
    host = host.lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    return DOCKER_HUB if host in _HUB_ALIASES else host


def registry_host(image: str) -> str:
    """The registry an image name points at.

    The first path component is a host when it contains ``.`` or ``:`` or is ``localhost`` (Docker's rule);
    otherwise the image lives on Docker Hub.

    Parameters:
        image: e.g. ``alpine:3``, ``iexechub/app:1``, ``127.0.0.1:5000/app:1``.

    Returns:
        The host (with port), ``docker.io`` for Docker Hub.
    """
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return _normalize_host(first)
    return DOCKER_HUB


def split_image(image: str) -> tuple[str, str]:
    """Repository and tag (or ``sha256:`` digest) of an image name; the tag defaults to ``latest``.

    Parameters:
        image: e.g. ``127.0.0.1:5000/app:1`` → (``127.0.0.1:5000/app``, ``1``).
    """
    if "@" in image:
        repository, _, digest = image.partition("@")
        return repository, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def credentials_for(image: str, credentials: Iterable[RegistryCredentials]) -> RegistryCredentials | None:
    """The credentials whose address matches the image's registry, if any."""
    host = registry_host(image)
    for creds in credentials:
        if _normalize_host(creds.address) == host:
            return creds
    return None
