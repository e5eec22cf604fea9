"""Misbehaving workers for end-to-end tests, arranged in the test harness (the product has no such switch).

Usage: ``python -m tests.e2e.rogue MODE worker`` with the worker's usual IEXEC_* environment.
- ``liar``: computes like everyone, then rewrites its result before packaging: its contribution disagrees.
- ``silent-revealer``: does everything, but its reveal transaction never leaves (it hangs).
"""

from __future__ import annotations

import sys
import time
from typing import Any


def _liar() -> None:
    from workerpool.compute import results

    honest = results.post_compute

    def lying_post_compute(dirs: Any, **kwargs: Any) -> Any:
        (dirs.iexec_out / "result.txt").write_text("a wrong result, on purpose\n")
        return honest(dirs, **kwargs)

    results.post_compute = lying_post_compute  # type: ignore[assignment]


def _silent_revealer() -> None:
    from workerpool.chain.poco import PocoClient

    def never_reveal(self: PocoClient, task_id: str, result_digest: str, **kwargs: Any) -> Any:
        time.sleep(10**6)

    PocoClient.reveal = never_reveal  # type: ignore[method-assign]


MODES = {"liar": _liar, "silent-revealer": _silent_revealer}


if __name__ == "__main__":
    mode = sys.argv.pop(1)
    MODES[mode]()
    from workerpool.cli.main import main

    main()
