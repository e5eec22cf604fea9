"""The container runtime seam: a small Protocol, its value types, and the real Docker implementation.

Docker run semantics follow worker-spec 5.6: a leftover container of the same name is removed first, the run
is bounded by ``timeout_s`` (then killed), stdout and stderr are read separately, the container is always
removed. The in-memory twin for unit tests is :class:`workerpool.compute.fake.FakeRuntime`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import docker
import docker.errors
import requests

from workerpool.common.errors import ComputeError, DockerUnavailable, ImageNotFound
from workerpool.common.statuses import ReplicateStatusCause
from workerpool.compute.registry import RegistryCredentials, credentials_for, split_image

__all__ = [
    "MANAGED_LABEL",
    "MAX_LOG_CHARS",
    "RegistryCredentials",
    "ContainerSpec",
    "ContainerRun",
    "ImagePull",
    "ContainerRuntime",
    "DockerRuntime",
]

logger = logging.getLogger(__name__)

#: label put on every container we create, so abort and clean-up never touch anyone else's
MANAGED_LABEL = "workerpool.managed"
#: we keep the last this-many characters of each log stream
MAX_LOG_CHARS = 100_000
_DEFAULT_DOCKER_URL = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class ContainerSpec:
    """What to run. ``binds`` maps a host path to a container path (read-write)."""

    name: str
    image: str
    cmd: list[str] | None
    env: dict[str, str]
    binds: dict[str, str]
    timeout_s: float
    memory_bytes: int | None = None
    nano_cpus: int | None = None
    network_disabled: bool = False
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerRun:
    """How a run ended: ``exit_code`` is None when it timed out (killed) or is unknown."""

    exit_code: int | None
    timed_out: bool
    stdout: str
    stderr: str
    duration_s: float

    @property
    def succeeded(self) -> bool:
        """Exited by itself with code 0."""
        return not self.timed_out and self.exit_code == 0


@dataclass(frozen=True)
class ImagePull:
    """Outcome of a pull: ``cause`` is set when not ok, ``message`` says why."""

    ok: bool
    cause: ReplicateStatusCause | None
    message: str


class ContainerRuntime(Protocol):
    """What the worker needs from a container engine."""

    def is_image_present(self, image: str) -> bool: ...

    def pull_image(self, image: str, *, timeout_s: float) -> ImagePull: ...

    def run(self, spec: ContainerSpec) -> ContainerRun: ...

    def stop_containers(self, name_contains: str) -> int: ...


def _tail(raw: bytes | str) -> str:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text[-MAX_LOG_CHARS:]


def _probe_unix_socket(url: str) -> None:
    """Connect once ourselves: the SDK leaks its socket when a unix connect fails (a ResourceWarning)."""
    if url.startswith("unix://"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(5)
            probe.connect(url.removeprefix("unix://"))


def _is_gone(error: docker.errors.APIError) -> bool:
    """The container no longer exists or its removal is under way (HTTP 404 / 409)."""
    return isinstance(error, docker.errors.NotFound) or error.status_code == 409


def _pull_failed(message: str) -> ImagePull:
    return ImagePull(False, ReplicateStatusCause.APP_IMAGE_DOWNLOAD_FAILED, message)


class DockerRuntime:
    """:class:`ContainerRuntime` on a real Docker engine (docker SDK 7).

    Parameters:
        base_url: engine API address; None reads ``DOCKER_HOST`` and falls back to the local socket.
        credentials: registry logins, picked by the registry host of each pulled image.

    Raises:
        DockerUnavailable: no engine answers at the address.
    """

    def __init__(self, *, base_url: str | None = None, credentials: list[RegistryCredentials] | None = None):
        self._url = base_url or os.environ.get("DOCKER_HOST") or _DEFAULT_DOCKER_URL
        self._credentials = list(credentials or [])
        try:
            _probe_unix_socket(self._url)
            self._client = docker.DockerClient(base_url=self._url)
            self._client.ping()
        except (OSError, docker.errors.DockerException, requests.RequestException) as e:
            raise DockerUnavailable(
                f"no Docker engine answers at {self._url}: start dockerd (see `make setup` or "
                f"scripts/ensure-docker.sh) ({e})"
            ) from e

    @classmethod
    def connect(
        cls, *, base_url: str | None = None, credentials: list[RegistryCredentials] | None = None
    ) -> DockerRuntime:
        """Same as the constructor; reads better at a composition root."""
        return cls(base_url=base_url, credentials=credentials)

    @property
    def client(self) -> docker.DockerClient:
        """The SDK client (for image building in tests and tools)."""
        return self._client

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- images ------------------------------------------------------------------------------------------

    def is_image_present(self, image: str) -> bool:
        """True when the engine holds ``image`` (name:tag or id)."""
        try:
            self._client.images.get(image)
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as e:
            if e.status_code in (400, 404):  # a malformed reference cannot be present either
                return False
            raise ComputeError(f"cannot inspect image {image!r}: {e.explanation or e}") from e
        return True

    def pull_image(self, image: str, *, timeout_s: float) -> ImagePull:
        """Pull ``image`` unless present; never raises for an unknown image or a refusing registry.

        Parameters:
            image: the image name, with an optional registry host.
            timeout_s: give up after this long (the engine may finish the pull in the background).

        Returns:
            ``ImagePull(ok=True, ...)`` when the image is present afterwards; otherwise not ok with
            ``APP_IMAGE_DOWNLOAD_FAILED`` and the engine's reason or a timeout message.
        """
        if self.is_image_present(image):
            return ImagePull(True, None, f"{image} already present")
        outcome: list[ImagePull] = []
        worker = threading.Thread(target=lambda: outcome.append(self._pull(image)), daemon=True)
        worker.start()
        worker.join(timeout_s)
        if not outcome:
            logger.warning("pull of %s timed out after %.0f s", image, timeout_s)
            return _pull_failed(f"pull of {image} timed out after {timeout_s:.0f} s")
        return outcome[0]

    def _pull(self, image: str) -> ImagePull:
        repository, tag = split_image(image)
        creds = credentials_for(image, self._credentials)
        auth = None if creds is None else {"username": creds.username, "password": creds.password}
        try:
            for event in self._client.api.pull(repository, tag=tag, stream=True, decode=True, auth_config=auth):
                if isinstance(event, dict) and event.get("error"):
                    return _pull_failed(f"pull of {image} failed: {event['error']}")
        except docker.errors.APIError as e:
            return _pull_failed(f"pull of {image} failed: {e.explanation or e}")
        except (docker.errors.DockerException, requests.RequestException) as e:
            return _pull_failed(f"pull of {image} failed, engine connection lost: {e}")
        if not self.is_image_present(image):
            return _pull_failed(f"pull of {image} ended but the image is not present")
        logger.info("pulled %s (%s)", image, "authenticated" if creds else "anonymous")
        return ImagePull(True, None, f"pulled {image}")

    # -- containers --------------------------------------------------------------------------------------

    def run(self, spec: ContainerSpec) -> ContainerRun:
        """Run a container to its end or its timeout, collect logs, always remove it.

        Raises:
            ImageNotFound: the image is not present locally.
            ComputeError: the engine refused to create or start the container.
            DockerUnavailable: the engine stopped answering.
        """
        self._remove_if_exists(spec.name)
        container = self._create(spec)
        started = time.monotonic()
        try:
            container.start()
            exit_code, timed_out = self._wait(container, spec.timeout_s)
            duration_s = time.monotonic() - started
            stdout, stderr = self._logs(container)
        except docker.errors.APIError as e:
            if _is_gone(e):  # removed under our feet (abort): not an engine fault
                logger.info("container %s was removed while running", spec.name)
                return ContainerRun(None, False, "", "", time.monotonic() - started)
            raise ComputeError(f"container {spec.name} failed to run: {e.explanation or e}") from e
        except (docker.errors.DockerException, requests.ConnectionError) as e:
            raise DockerUnavailable(f"Docker engine at {self._url} stopped answering: {e}") from e
        finally:
            self._remove_if_exists(spec.name)
        return ContainerRun(exit_code, timed_out, stdout, stderr, duration_s)

    def _create(self, spec: ContainerSpec) -> Any:
        try:
            return self._client.containers.create(
                spec.image,
                command=spec.cmd,
                name=spec.name,
                environment=spec.env,
                volumes={host: {"bind": inside, "mode": "rw"} for host, inside in spec.binds.items()},
                mem_limit=spec.memory_bytes,
                nano_cpus=spec.nano_cpus,
                network_disabled=spec.network_disabled,
                labels={**spec.labels, MANAGED_LABEL: "1"},
                detach=True,
            )
        except docker.errors.ImageNotFound as e:
            raise ImageNotFound(f"image {spec.image} is not present locally: pull it first") from e
        except docker.errors.APIError as e:
            raise ComputeError(f"cannot create container {spec.name}: {e.explanation or e}") from e

    def _wait(self, container: Any, timeout_s: float) -> tuple[int | None, bool]:
        try:
            result = container.wait(timeout=timeout_s)
            return int(result.get("StatusCode", -1)), False
        except requests.RequestException:
            pass  # the read timed out (requests reports it as ReadTimeout or ConnectionError)
        container.reload()
        if container.status != "exited":
            container.kill()
            logger.info("container %s killed after %.0f s", container.name, timeout_s)
            return None, True
        return int(container.attrs["State"]["ExitCode"]), False

    @staticmethod
    def _logs(container: Any) -> tuple[str, str]:
        try:
            stdout = container.logs(stdout=True, stderr=False)
            stderr = container.logs(stdout=False, stderr=True)
        except docker.errors.APIError as e:
            if _is_gone(e):  # removed under our feet (abort)
                return "", ""
            raise
        return _tail(stdout), _tail(stderr)

    def _remove_if_exists(self, name: str) -> None:
        try:
            self._client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as e:
            if _is_gone(e):
                return
            raise ComputeError(f"cannot remove container {name}: {e.explanation or e}") from e

    def stop_containers(self, name_contains: str) -> int:
        """Kill and remove our running containers whose name contains ``name_contains`` (abort).

        Returns:
            How many were removed.
        """
        if not name_contains:
            raise ValueError("name_contains must not be empty: it would stop every managed container")
        found = self._client.containers.list(all=True, filters={"label": f"{MANAGED_LABEL}=1", "name": name_contains})
        count = 0
        for container in found:
            if name_contains in container.name:
                self._remove_if_exists(container.name)
                count += 1
        logger.info("stopped %d container(s) matching %s", count, name_contains)
        return count
