"""Tiny app images built locally from ``/bin/busybox`` by ``docker import`` (no registry needed).

The root fs holds the statically linked busybox, a symlink per applet in ``/bin``, and ``/app/run.sh``;
the entrypoint is ``/bin/sh /app/run.sh`` so the task args become the script's ``$@``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tarfile
from pathlib import Path
from typing import Any

import docker
import docker.errors

from workerpool.common.errors import ComputeError
from workerpool.compute.registry import split_image

__all__ = [
    "BUSYBOX_PATH",
    "APPLETS",
    "DEMO_APP_TAG",
    "DEMO_APP_SCRIPT",
    "FAILING_APP_SCRIPT",
    "SLEEPING_APP_SCRIPT",
    "build_busybox_image",
    "build_demo_app",
]

logger = logging.getLogger(__name__)

#: a statically linked busybox (Debian busybox-static)
BUSYBOX_PATH = Path("/bin/busybox")
#: the applets linked into /bin
APPLETS = (
    "sh", "echo", "cat", "printf", "sha256sum", "sleep", "mkdir", "ls", "date", "wc", "tr", "env",
    "cut", "expr", "rm", "cp", "test", "true", "false", "head", "tail", "seq",
)  # fmt: skip
#: default tag of the demo app
DEMO_APP_TAG = "workerpool/demo-app:1"
_SCRIPT_LABEL = "workerpool.script-sha256"

#: Deterministic demo app: the same args give the same /iexec_out on every worker (no dates, no randomness).
DEMO_APP_SCRIPT = r"""
set -eu
OUT="${IEXEC_OUT:-/iexec_out}"
ARGS="$*"
SHA=$(printf '%s' "$ARGS" | sha256sum | cut -d' ' -f1)
LENGTH=${#ARGS}
SCORE=$(( LENGTH * 7 + 42 ))
printf 'args: %s\nsha256: %s\nlength: %d\nscore: %d\n' "$ARGS" "$SHA" "$LENGTH" "$SCORE" > "$OUT/result.txt"
printf '{"deterministic-output-path": "/iexec_out/result.txt"}\n' > "$OUT/computed.json"
echo "demo-app: task ${IEXEC_TASK_ID:-none} computed score $SCORE"
"""

#: Fails on purpose: a line on each stream, exit code 3.
FAILING_APP_SCRIPT = r"""
echo "failing-app: starting"
echo "failing-app: something went wrong" >&2
exit 3
"""

#: Never ends by itself (for timeout and abort tests).
SLEEPING_APP_SCRIPT = r"""
echo "sleeping-app: going to sleep"
sleep 3600
"""


def _add_dir(archive: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, mode
    archive.addfile(info)


def _add_file(archive: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def _rootfs(script: str, busybox: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for folder in ("bin", "app", "iexec_in", "iexec_out"):
            _add_dir(archive, folder)
        _add_dir(archive, "tmp", 0o1777)
        _add_file(archive, "bin/busybox", busybox.read_bytes(), 0o755)
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            archive.addfile(link)
        _add_file(archive, "app/run.sh", script.encode(), 0o755)
    return buffer.getvalue()


def _client(client_or_runtime: Any) -> docker.DockerClient:
    client = getattr(client_or_runtime, "client", client_or_runtime)
    if not isinstance(client, docker.DockerClient):
        raise TypeError(f"expected a docker.DockerClient or a DockerRuntime, got {type(client_or_runtime)!r}")
    return client


def _existing_script_hash(client: docker.DockerClient, tag: str) -> str | None:
    try:
        labels = client.images.get(tag).labels or {}
    except docker.errors.ImageNotFound:
        return None
    return str(labels.get(_SCRIPT_LABEL, ""))


def build_busybox_image(
    client_or_runtime: Any, tag: str, script: str, *, force: bool = False, busybox: Path = BUSYBOX_PATH
) -> str:
    """Build (``docker import``) a busybox image running ``script``; skipped when the tag holds that script.

    Parameters:
        client_or_runtime: a ``docker.DockerClient`` or a ``DockerRuntime``.
        tag: the image name, e.g. ``workerpool/demo-app:1``.
        script: the shell script run as ``/bin/sh /app/run.sh "$@"``.
        force: rebuild even if the tag already holds this script.
        busybox: path of a statically linked busybox binary.

    Returns:
        The image id.

    Raises:
        ComputeError: busybox is missing or the engine refused the import.
    """
    client = _client(client_or_runtime)
    script_hash = hashlib.sha256(script.encode()).hexdigest()
    if not force and _existing_script_hash(client, tag) == script_hash:
        return str(client.images.get(tag).id)
    if not busybox.is_file():
        raise ComputeError(f"{busybox} not found: install a static busybox (apt-get install busybox-static)")
    repository, image_tag = split_image(tag)
    changes = [
        "ENTRYPOINT " + json.dumps(["/bin/sh", "/app/run.sh"]),
        "ENV PATH=/bin",
        "WORKDIR /",
        f"LABEL {_SCRIPT_LABEL}={script_hash}",
    ]
    try:
        client.api.import_image_from_data(
            _rootfs(script, busybox), repository=repository, tag=image_tag, changes=changes
        )
        image_id = str(client.images.get(tag).id)
    except docker.errors.APIError as e:
        raise ComputeError(f"docker import of {tag} failed: {e.explanation or e}") from e
    logger.info("built image %s (%s)", tag, image_id[:19])
    return image_id


def build_demo_app(client_or_runtime: Any, tag: str = DEMO_APP_TAG, *, force: bool = False) -> str:
    """Build the deterministic demo app (:data:`DEMO_APP_SCRIPT`); returns the image id."""
    return build_busybox_image(client_or_runtime, tag, DEMO_APP_SCRIPT, force=force)
