"""Host-side folders of one task (worker-spec 5.1).

::

    <base_dir>/<worker_name>/<chain_task_id>/
    ├── input/              → /iexec_in  (rw)
    └── output/
        ├── iexec_out/      → /iexec_out (rw)
        ├── iexec_out.zip   # standard post-compute; the "result available" marker for recovery
        └── computed.json   # copy of iexec_out/computed.json

The bind sources are host paths handed to the Docker daemon: when the worker itself runs in a container, the
base dir must have the same path inside and outside.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TaskDirs", "worker_dir_tasks", "CONTAINER_IN", "CONTAINER_OUT"]

logger = logging.getLogger(__name__)

#: where the input folder is mounted in the app container
CONTAINER_IN = "/iexec_in"
#: where the output folder is mounted in the app container
CONTAINER_OUT = "/iexec_out"

#: the app container may run as any user: it must be able to write into its mounted folders
_SHARED_DIR_MODE = 0o777

# One path component, no separators and no "." / ".." (the names become host paths).
_SAFE_NAME = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9_.\-]+$")


def _check_name(value: str, what: str) -> str:
    if not _SAFE_NAME.match(value):
        raise ValueError(f"{what} {value!r} cannot be used as a folder name: use letters, digits, '_', '.', '-'")
    return value


@dataclass(frozen=True)
class TaskDirs:
    """The folders of one task under the worker base dir.

    Build it with :meth:`for_task`; nothing touches the disk until :meth:`create`.
    """

    base_dir: Path
    worker_name: str
    chain_task_id: str

    @classmethod
    def for_task(cls, base_dir: Path, worker_name: str, chain_task_id: str) -> TaskDirs:
        """Folders of ``chain_task_id`` for ``worker_name`` under ``base_dir``.

        Parameters:
            base_dir: the worker base dir (``IEXEC_WORKER_BASE_DIR``), made absolute.
            worker_name: the worker name (one path component).
            chain_task_id: the task id, ``0x``-hex (one path component).

        Raises:
            ValueError: a name would escape its folder (contains ``/`` or is ``..``).
        """
        _check_name(worker_name, "worker name")
        _check_name(chain_task_id, "task id")
        return cls(Path(base_dir).absolute(), worker_name, chain_task_id)

    @property
    def task_dir(self) -> Path:
        """``base_dir/worker_name/chain_task_id``."""
        return self.base_dir / self.worker_name / self.chain_task_id

    @property
    def input_dir(self) -> Path:
        """Inputs (dataset, input files), mounted at ``/iexec_in``."""
        return self.task_dir / "input"

    @property
    def output_dir(self) -> Path:
        """Holds ``iexec_out``, the zip and the copied ``computed.json``."""
        return self.task_dir / "output"

    @property
    def iexec_out(self) -> Path:
        """The app's results, mounted at ``/iexec_out``."""
        return self.output_dir / "iexec_out"

    @property
    def zip_path(self) -> Path:
        """``output/iexec_out.zip``, written by post-compute."""
        return self.output_dir / "iexec_out.zip"

    @property
    def computed_json(self) -> Path:
        """``output/computed.json``, the copy post-compute reads."""
        return self.output_dir / "computed.json"

    def create(self) -> None:
        """Make the folders (idempotent); ``input`` and ``iexec_out`` are world-writable for the container."""
        for shared in (self.input_dir, self.iexec_out):
            shared.mkdir(parents=True, exist_ok=True)
            os.chmod(shared, _SHARED_DIR_MODE)  # mkdir's mode is masked by the umask

    def remove(self) -> None:
        """Delete the task folder and everything in it (no error if it is already gone)."""
        if self.task_dir.exists():
            shutil.rmtree(self.task_dir)
            logger.info("removed task folder [task=%s worker=%s]", self.chain_task_id, self.worker_name)


def worker_dir_tasks(base_dir: Path, worker_name: str) -> list[str]:
    """Names of the task folders of a worker (every direct sub-folder is a task), sorted.

    Parameters:
        base_dir: the worker base dir.
        worker_name: the worker name.

    Returns:
        The folder names, empty when the worker folder does not exist.
    """
    worker_dir = Path(base_dir) / _check_name(worker_name, "worker name")
    if not worker_dir.is_dir():
        return []
    return sorted(entry.name for entry in worker_dir.iterdir() if entry.is_dir() and not entry.is_symlink())
