"""The result digest a worker contributes (worker-spec 5.8).

- callback task: ``keccak256(hexdecode(callback-data))``;
- otherwise the ``deterministic-output-path`` (a container path under ``/iexec_out``) mapped onto the host
  ``output`` folder: a file gives ``sha256(content)``; a directory gives ``keccak256`` of the concatenated
  sha256 digests of its **direct** children that are files, sorted by name (sub-directories add nothing).

Symlinks are never followed (an app could point one at a host file): one counts as an empty file, which is
also what the result zip holds for it, so a requester recomputing from the zip gets the same digest.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from eth_utils.crypto import keccak

from workerpool.compute.computed import ComputedFile

__all__ = ["result_digest", "file_digest", "directory_digest", "callback_digest", "host_path"]

logger = logging.getLogger(__name__)

_EMPTY_SHA256 = hashlib.sha256(b"").digest()
_CHUNK_BYTES = 1 << 20


def _sha256(path: Path) -> bytes:
    if path.is_symlink():
        return _EMPTY_SHA256
    sha = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            sha.update(chunk)
    return sha.digest()


def file_digest(path: Path) -> str:
    """``0x`` + sha256 hex of a file's content."""
    return "0x" + _sha256(path).hex()


def directory_digest(path: Path) -> str:
    """keccak256 of the sha256 digests of the direct child files, sorted by name (not recursive)."""
    children = sorted(path.iterdir(), key=lambda child: os.fsencode(child.name))
    concatenated = b"".join(_sha256(c) for c in children if c.is_symlink() or c.is_file())
    return "0x" + keccak(concatenated).hex()


def callback_digest(callback_data: str | None) -> str | None:
    """keccak256 of the hex-decoded callback data; None when it is empty or not hex."""
    if not callback_data:
        return None
    try:
        raw = bytes.fromhex(callback_data.removeprefix("0x"))
    except ValueError:
        logger.warning("callback-data is not hex: %.80s", callback_data)
        return None
    return "0x" + keccak(raw).hex() if raw else None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def host_path(output_dir: Path, container_path: str) -> Path | None:
    """Map a container path (``/iexec_out/...``) onto ``output_dir``.

    Folders on the way are resolved (a symlinked folder must stay inside); the last component is kept as
    it is, so a symlink there is seen as a symlink. None when the path leaves ``output_dir``.
    """
    root = Path(output_dir).resolve()
    lexical = Path(os.path.normpath(root / container_path.lstrip("/")))
    if lexical == root:
        return root
    parent = lexical.parent.resolve()
    return parent / lexical.name if _inside(lexical, root) and _inside(parent, root) else None


def result_digest(output_dir: Path, computed: ComputedFile, *, has_callback: bool) -> str | None:
    """Compute the result digest of a task from its output folder (worker-spec 5.8).

    ``computed.result_digest`` is not looked at: callers decide whether a declared digest wins.

    Parameters:
        output_dir: the task's host ``output`` folder (parent of ``iexec_out``).
        computed: the parsed computed.json.
        has_callback: the deal names a callback address (not the zero address).

    Returns:
        The ``0x`` digest, or None when it cannot be computed (missing data or path).
    """
    if has_callback:
        return callback_digest(computed.callback_data)
    if not computed.deterministic_output_path:
        logger.warning("computed.json has no deterministic-output-path")
        return None
    path = host_path(output_dir, computed.deterministic_output_path)
    if path is None or not (path.exists() or path.is_symlink()):
        logger.warning("deterministic-output-path %s not found", computed.deterministic_output_path)
        return None
    if path.is_dir() and not path.is_symlink():
        return directory_digest(path)
    return file_digest(path)
