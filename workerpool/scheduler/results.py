"""Result repository: the zipped results uploaded by the elected worker, served to requesters."""

from __future__ import annotations

import os
from pathlib import Path

from workerpool.common.hashing import normalize_bytes32

__all__ = ["ResultStore", "MAX_RESULT_BYTES"]

#: Largest result zip accepted (bytes).
MAX_RESULT_BYTES = 100 * 1024 * 1024


class ResultStore:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, chain_task_id: str) -> Path:
        return self.directory / f"{normalize_bytes32(chain_task_id)}.zip"

    def has(self, chain_task_id: str) -> bool:
        return self.path(chain_task_id).is_file()

    def save(self, chain_task_id: str, data: bytes) -> Path:
        """Write atomically (temp file + rename), so a reader never sees half a zip."""
        target = self.path(chain_task_id)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return target

    def load(self, chain_task_id: str) -> bytes | None:
        target = self.path(chain_task_id)
        return target.read_bytes() if target.is_file() else None
