"""Standard post-compute, the error-to-result hook and the requester's check (worker-spec 5.3, 5.7, 5.8)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from workerpool.common.errors import ResultVerificationFailed
from workerpool.common.statuses import ReplicateStatusCause
from workerpool.compute.computed import ComputedFile, read_computed, write_computed
from workerpool.compute.digest import result_digest
from workerpool.compute.layout import TaskDirs
from workerpool.compute.zipping import safe_extract, zip_folder

__all__ = [
    "MAX_RESULT_FILE_NAME_CHARS",
    "ComputedFile",
    "read_computed",
    "PostComputeOutcome",
    "post_compute",
    "computed_digest",
    "write_error_result",
    "digest_of_result_zip",
]

logger = logging.getLogger(__name__)

#: longer names in iexec_out fail post-compute (worker-spec 5.7)
MAX_RESULT_FILE_NAME_CHARS = 31
_BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
Cause = ReplicateStatusCause


@dataclass(frozen=True)
class PostComputeOutcome:
    """``digest`` when all went well, else ``cause``; ``computed`` once computed.json was read."""

    digest: str | None
    cause: ReplicateStatusCause | None
    computed: ComputedFile | None

    @property
    def ok(self) -> bool:
        return self.cause is None and self.digest is not None


def _too_long_name(folder: Path) -> str | None:
    for _, dirnames, filenames in os.walk(folder, onerror=_raise):
        for name in dirnames + filenames:
            if len(name) > MAX_RESULT_FILE_NAME_CHARS:
                return name
    return None


def _raise(error: OSError) -> None:
    raise error


def _package(dirs: TaskDirs) -> ReplicateStatusCause | None:
    """Steps 1-3 of 5.7: check names, zip, copy computed.json."""
    try:
        too_long = _too_long_name(dirs.iexec_out)
    except OSError as e:
        logger.warning("cannot walk iexec_out [task=%s]: %s", dirs.chain_task_id, e)
        return Cause.POST_COMPUTE_FAILED_UNKNOWN_ISSUE
    if too_long is not None:
        logger.warning("result file name too long [task=%s]: %s", dirs.chain_task_id, too_long)
        return Cause.POST_COMPUTE_TOO_LONG_RESULT_FILE_NAME
    try:
        zip_folder(dirs.iexec_out, dirs.zip_path)
    except OSError as e:
        logger.warning("cannot zip iexec_out [task=%s]: %s", dirs.chain_task_id, e)
        return Cause.POST_COMPUTE_OUT_FOLDER_ZIP_FAILED
    source = dirs.iexec_out / "computed.json"
    if not source.is_file() or source.is_symlink():
        logger.warning("the app wrote no computed.json [task=%s]", dirs.chain_task_id)
        return Cause.POST_COMPUTE_COMPUTED_FILE_NOT_FOUND
    try:
        shutil.copyfile(source, dirs.computed_json)
    except OSError as e:
        logger.warning("cannot copy computed.json [task=%s]: %s", dirs.chain_task_id, e)
        return Cause.POST_COMPUTE_SEND_COMPUTED_FILE_FAILED
    return None


def post_compute(dirs: TaskDirs, *, has_callback: bool = False) -> PostComputeOutcome:
    """Package the result of a standard task and compute its digest (worker-spec 5.7, 5.8).

    A non-empty ``result-digest`` declared in computed.json wins over the computed one, as in the Java worker.

    Parameters:
        dirs: the task folders, after the app ran.
        has_callback: the deal names a callback address.

    Returns:
        The digest, or the ``POST_COMPUTE_*`` cause of the first failing step.
    """
    cause = _package(dirs)
    if cause is not None:
        return PostComputeOutcome(None, cause, None)
    computed = read_computed(dirs.computed_json)
    if computed is None:
        return PostComputeOutcome(None, Cause.POST_COMPUTE_COMPUTED_FILE_NOT_FOUND, None)
    computed = replace(computed, task_id=dirs.chain_task_id)
    digest = computed_digest(dirs, computed, has_callback=has_callback)
    if digest is None:
        return PostComputeOutcome(None, Cause.POST_COMPUTE_RESULT_DIGEST_COMPUTATION_FAILED, computed)
    digest = digest.lower()
    logger.info("result digest %s [task=%s worker=%s]", digest, dirs.chain_task_id, dirs.worker_name)
    return PostComputeOutcome(digest, None, replace(computed, result_digest=digest))


def computed_digest(dirs: TaskDirs, computed: ComputedFile, *, has_callback: bool = False) -> str | None:
    """The result digest of a standard task, always from the files (or the callback data).

    A ``result-digest`` the app declares in computed.json is ignored: only a TEE enclave may declare it
    (worker-spec 5.8), and the requester recomputes the digest from the downloaded files, so the worker must
    vote for exactly what the requester will check. Used at post-compute and again after a restart.
    """
    digest = result_digest(dirs.output_dir, computed, has_callback=has_callback)
    return digest.lower() if digest else None


def write_error_result(dirs: TaskDirs, status: str, causes: list[str]) -> None:
    """The error-to-result hook (worker-spec 5.3): the error becomes the result.

    Writes ``iexec_out/error.txt`` and a computed.json pointing at it; run :func:`post_compute` next.
    The text depends only on ``status`` and ``causes``, so workers failing alike agree on the digest.

    Parameters:
        dirs: the task folders (created if missing).
        status: the failure status, e.g. ``APP_DOWNLOAD_FAILED``.
        causes: the causes, e.g. ``["APP_IMAGE_DOWNLOAD_FAILED"]``.
    """
    dirs.create()
    text = f"[IEXEC] Errors occurred while computing the task [error:{status}, causes:[{', '.join(causes)}]]"
    (dirs.iexec_out / "error.txt").write_text(text, encoding="utf-8")
    write_computed(dirs.iexec_out / "computed.json", ComputedFile(deterministic_output_path="/iexec_out/error.txt"))
    logger.info("wrote error result %s %s [task=%s]", status, causes, dirs.chain_task_id)


def digest_of_result_zip(zip_bytes: bytes, *, has_callback: bool = False) -> str:
    """Recompute the result digest of a downloaded result zip (requester side).

    A ``result-digest`` declared in the zip's computed.json is ignored: the digest is always recomputed.

    Parameters:
        zip_bytes: the zip as uploaded by the worker (entries relative to ``iexec_out``).
        has_callback: the deal names a callback address.

    Returns:
        The ``0x`` digest, to compare with the on-chain result digest.

    Raises:
        ResultVerificationFailed: the zip is unreadable or unsafe, or has no computed.json or digest.
    """
    with tempfile.TemporaryDirectory(prefix="wp-result-") as tmp:
        output_dir = Path(tmp) / "output"
        iexec_out = output_dir / "iexec_out"
        iexec_out.mkdir(parents=True)
        safe_extract(zip_bytes, iexec_out)
        computed = read_computed(iexec_out / "computed.json")
        if computed is None:
            raise ResultVerificationFailed("the result zip has no readable computed.json at its top level")
        digest = result_digest(output_dir, computed, has_callback=has_callback)
        if digest is None:
            raise ResultVerificationFailed(
                "no result digest can be computed from the zip: computed.json names no existing "
                "deterministic-output-path (or no callback-data for a callback task)"
            )
        return digest
