"""The app container of a standard task (worker-spec 5.5)."""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass

from workerpool.common.errors import ImageNotFound
from workerpool.common.statuses import ReplicateStatusCause
from workerpool.compute.layout import CONTAINER_IN, CONTAINER_OUT, TaskDirs
from workerpool.compute.runtime import ContainerRun, ContainerRuntime, ContainerSpec

__all__ = ["NO_DATASET", "AppTask", "AppOutcome", "app_env", "split_args", "container_name", "run_app"]

logger = logging.getLogger(__name__)

#: dataset address used when the deal has no dataset
NO_DATASET = "0x" + "00" * 20


@dataclass(frozen=True)
class AppTask:
    """What the app container needs to know about a task."""

    chain_task_id: str
    deal_id: str
    task_index: int
    bot_first: int
    bot_size: int
    image: str
    args: str
    max_execution_time_s: int
    dataset_address: str = NO_DATASET


@dataclass(frozen=True)
class AppOutcome:
    """How the app ended: ``cause`` is None on success; ``exit_code`` None when killed or never run."""

    exit_code: int | None
    cause: ReplicateStatusCause | None
    stdout: str
    stderr: str
    duration_s: float

    @property
    def succeeded(self) -> bool:
        return self.cause is None


def app_env(task: AppTask) -> dict[str, str]:
    """The environment of a standard app (worker-spec 5.5; no input files supported yet)."""
    return {
        "IEXEC_TASK_ID": task.chain_task_id,
        "IEXEC_DEAL_ID": task.deal_id,
        "IEXEC_TASK_INDEX": str(task.task_index),
        "IEXEC_BOT_TASK_INDEX": str(task.task_index),
        "IEXEC_BOT_SIZE": str(task.bot_size),
        "IEXEC_BOT_FIRST_INDEX": str(task.bot_first),
        "IEXEC_IN": CONTAINER_IN,
        "IEXEC_OUT": CONTAINER_OUT,
        "IEXEC_DATASET_ADDRESS": task.dataset_address,
        "IEXEC_DATASET_FILENAME": task.dataset_address,
        "IEXEC_INPUT_FILES_NUMBER": "0",
    }


def split_args(args: str) -> list[str] | None:
    """Split ``iexec_args`` like a shell: quotes group words, backslashes and ``#`` are plain characters.

    This follows plexus ``translateCommandline`` used by the Java worker. Never raises.

    Parameters:
        args: the deal's ``iexec_args``.

    Returns:
        The words, or None when ``args`` is blank (the image's default cmd is kept). Unbalanced quotes fall
        back to a plain whitespace split.
    """
    if not args or not args.strip():
        return None
    lexer = shlex.shlex(args, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""
    try:
        words = list(lexer)
    except ValueError:
        logger.warning("unbalanced quotes in app args, splitting on whitespace: %.80s", args)
        words = args.split()
    return words or None


def container_name(worker_name: str, chain_task_id: str) -> str:
    """``<workerName>-<chainTaskId>``, the app container's name (abort matches on the task id)."""
    return f"{worker_name}-{chain_task_id}"


def _spec(
    task: AppTask, dirs: TaskDirs, worker_name: str, memory_bytes: int | None, nano_cpus: int | None
) -> ContainerSpec:
    return ContainerSpec(
        name=container_name(worker_name, task.chain_task_id),
        image=task.image,
        cmd=split_args(task.args),
        env=app_env(task),
        binds={str(dirs.input_dir): CONTAINER_IN, str(dirs.iexec_out): CONTAINER_OUT},
        timeout_s=float(task.max_execution_time_s),
        memory_bytes=memory_bytes,
        nano_cpus=nano_cpus,
        labels={"workerpool.task": task.chain_task_id, "workerpool.worker": worker_name},
    )


def _write_logs(dirs: TaskDirs, run: ContainerRun) -> None:
    # Only after exit 0, and only non-empty logs: they become part of the result (worker-spec 5.5).
    for name, text in (("stdout.txt", run.stdout), ("stderr.txt", run.stderr)):
        if text:
            (dirs.iexec_out / name).write_text(text, encoding="utf-8")


def _cause(run: ContainerRun) -> ReplicateStatusCause | None:
    if run.timed_out:
        return ReplicateStatusCause.APP_COMPUTE_TIMEOUT
    if run.exit_code != 0:
        return ReplicateStatusCause.APP_COMPUTE_FAILED
    return None


def run_app(
    runtime: ContainerRuntime,
    task: AppTask,
    dirs: TaskDirs,
    *,
    worker_name: str,
    memory_bytes: int | None = None,
    nano_cpus: int | None = None,
) -> AppOutcome:
    """Run the app container of a standard task and keep its logs.

    Parameters:
        runtime: the container runtime.
        task: the task.
        dirs: its folders (created if missing).
        worker_name: the worker name, first part of the container name.
        memory_bytes, nano_cpus: optional resource limits (none in the Java worker).

    Returns:
        The outcome: cause ``APP_NOT_FOUND_LOCALLY``, ``APP_COMPUTE_TIMEOUT``, ``APP_COMPUTE_FAILED`` or None.

    Raises:
        ComputeError: the engine failed (not the app): DockerUnavailable and the like.
    """
    ids = (task.chain_task_id, worker_name)
    if not runtime.is_image_present(task.image):
        logger.warning("app image %s is not present locally [task=%s worker=%s]", task.image, *ids)
        return AppOutcome(None, ReplicateStatusCause.APP_NOT_FOUND_LOCALLY, "", "", 0.0)
    dirs.create()
    try:
        run = runtime.run(_spec(task, dirs, worker_name, memory_bytes, nano_cpus))
    except ImageNotFound:
        logger.warning("app image %s vanished before the run [task=%s worker=%s]", task.image, *ids)
        return AppOutcome(None, ReplicateStatusCause.APP_NOT_FOUND_LOCALLY, "", "", 0.0)
    cause = _cause(run)
    if cause is None:
        _write_logs(dirs, run)
    logger.info(
        "app ended exit_code=%s cause=%s duration_s=%.2f [task=%s worker=%s]",
        run.exit_code,
        cause.value if cause else None,
        run.duration_s,
        *ids,
    )
    return AppOutcome(run.exit_code, cause, run.stdout, run.stderr, run.duration_s)
