"""In-memory :class:`ContainerRuntime` for unit tests (STYLE habit 2).

A *behaviour* stands in for an image: a callable ``(spec) -> ContainerRun`` that may write files into the host
folders bound in ``spec.binds`` (see :func:`bound_dir`), so a fake app can produce ``/iexec_out`` content::

    runtime = FakeRuntime(behaviours={"app:1": writes_result({"result.txt": "42"})})
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from workerpool.common.errors import ImageNotFound
from workerpool.common.statuses import ReplicateStatusCause
from workerpool.compute.runtime import ContainerRun, ContainerSpec, ImagePull

__all__ = ["Behaviour", "FakeRuntime", "bound_dir", "writes_result", "exits_with", "times_out"]

#: what a fake image does when run
Behaviour = Callable[[ContainerSpec], ContainerRun]


def bound_dir(spec: ContainerSpec, container_path: str) -> Path:
    """The host folder bound at ``container_path`` in ``spec``."""
    for host, inside in spec.binds.items():
        if inside.rstrip("/") == container_path.rstrip("/"):
            return Path(host)
    raise KeyError(f"nothing is bound at {container_path} in container {spec.name}")


def writes_result(
    files: dict[str, str],
    *,
    deterministic_output_path: str | None = "/iexec_out/result.txt",
    stdout: str = "",
    stderr: str = "",
    exit_code: int = 0,
) -> Behaviour:
    """A behaviour that writes ``files`` (name → text) into ``/iexec_out`` plus a computed.json.

    Parameters:
        files: files to write, relative to ``/iexec_out``.
        deterministic_output_path: written into computed.json; None writes no computed.json.
        stdout, stderr, exit_code: what the run reports.
    """

    def behaviour(spec: ContainerSpec) -> ContainerRun:
        out = bound_dir(spec, "/iexec_out")
        for name, text in files.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(text)
        if deterministic_output_path is not None:
            computed = {"deterministic-output-path": deterministic_output_path}
            (out / "computed.json").write_text(json.dumps(computed))
        return ContainerRun(exit_code, False, stdout, stderr, 0.01)

    return behaviour


def exits_with(exit_code: int, *, stdout: str = "", stderr: str = "") -> Behaviour:
    """A behaviour that writes nothing and exits with ``exit_code``."""
    return lambda spec: ContainerRun(exit_code, False, stdout, stderr, 0.01)


def times_out(*, stdout: str = "", stderr: str = "") -> Behaviour:
    """A behaviour that runs past its timeout (killed: no exit code)."""
    return lambda spec: ContainerRun(None, True, stdout, stderr, spec.timeout_s)


class FakeRuntime:
    """Records every call; images are names in a set.

    Parameters:
        images: images present from the start.
        behaviours: image → behaviour; an image with a behaviour but not in ``images`` can be pulled.
        pull_failures: image → message; pulling it fails with ``APP_IMAGE_DOWNLOAD_FAILED``.
    """

    def __init__(
        self,
        *,
        images: Iterable[str] = (),
        behaviours: dict[str, Behaviour] | None = None,
        pull_failures: dict[str, str] | None = None,
    ):
        self.present: set[str] = set(images)
        self.behaviours: dict[str, Behaviour] = dict(behaviours or {})
        self.pull_failures: dict[str, str] = dict(pull_failures or {})
        self.pulls: list[str] = []
        self.runs: list[ContainerSpec] = []
        self.stops: list[str] = []
        self.running: set[str] = set()
        self._lock = threading.Lock()

    def add_image(self, image: str, behaviour: Behaviour | None = None) -> None:
        """Make ``image`` present, optionally with a behaviour."""
        self.present.add(image)
        if behaviour is not None:
            self.behaviours[image] = behaviour

    def is_image_present(self, image: str) -> bool:
        return image in self.present

    def pull_image(self, image: str, *, timeout_s: float) -> ImagePull:
        self.pulls.append(image)
        if image in self.present:
            return ImagePull(True, None, f"{image} already present")
        if image in self.pull_failures:
            message = f"pull of {image} failed: {self.pull_failures[image]}"
            return ImagePull(False, ReplicateStatusCause.APP_IMAGE_DOWNLOAD_FAILED, message)
        if image in self.behaviours:
            self.present.add(image)
            return ImagePull(True, None, f"pulled {image}")
        message = f"pull of {image} failed: manifest unknown"
        return ImagePull(False, ReplicateStatusCause.APP_IMAGE_DOWNLOAD_FAILED, message)

    def run(self, spec: ContainerSpec) -> ContainerRun:
        with self._lock:
            self.runs.append(spec)
        if spec.image not in self.present:
            raise ImageNotFound(f"image {spec.image} is not present locally: pull it first")
        behaviour = self.behaviours.get(spec.image, exits_with(0))
        with self._lock:
            self.running.add(spec.name)
        try:
            return behaviour(spec)
        finally:
            with self._lock:
                self.running.discard(spec.name)

    def stop_containers(self, name_contains: str) -> int:
        with self._lock:
            self.stops.append(name_contains)
            matching = {name for name in self.running if name_contains in name}
            self.running -= matching
        return len(matching)
