"""How tests meet real services: skipped on a laptop without them, failed in CI (STYLE habit 12)."""

from __future__ import annotations

import os

import pytest

__all__ = ["IN_CI", "require_service"]

#: CI sets CI=true; there a missing service is a failure, never a silent skip.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(available: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a real service the test needs is missing."""
    if available:
        return
    message = f"{what} is not available; run `make setup` (CI installs and starts it)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
