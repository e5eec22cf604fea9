"""``computed.json``: what the app says about its result (worker-spec 5.8)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["ComputedFile", "read_computed", "write_computed"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComputedFile:
    """The keys of computed.json (kebab-case on disk); a missing key is None, unknown keys are ignored."""

    deterministic_output_path: str | None = None
    callback_data: str | None = None
    task_id: str | None = None
    result_digest: str | None = None
    enclave_signature: str | None = None
    error_message: str | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ComputedFile:
        """Read the known kebab-case keys; non-string values count as missing."""
        values: dict[str, str | None] = {}
        for f in fields(cls):
            value = raw.get(f.name.replace("_", "-"))
            values[f.name] = value if isinstance(value, str) else None
        return cls(**values)

    def to_dict(self) -> dict[str, str | None]:
        """The kebab-case form, every key present (None → null)."""
        return {f.name.replace("_", "-"): getattr(self, f.name) for f in fields(self)}


def read_computed(path: Path) -> ComputedFile | None:
    """Parse a computed.json.

    Parameters:
        path: the file.

    Returns:
        The parsed file, or None when it is missing, unreadable, not JSON or not a JSON object.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        logger.warning("computed.json at %s is unreadable: %s", path, e)
        return None
    if not isinstance(raw, dict):
        logger.warning("computed.json at %s is not a JSON object", path)
        return None
    return ComputedFile.from_dict(raw)


def write_computed(path: Path, computed: ComputedFile) -> None:
    """Write ``computed`` as kebab-case JSON."""
    Path(path).write_text(json.dumps(computed.to_dict()), encoding="utf-8")
