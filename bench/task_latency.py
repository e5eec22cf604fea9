"""Benchmark: wall time from buying a trust-1 task to a verified result, next to a bare `docker run`.

Starts a private local pool (own chain, scheduler, one worker) in a temporary home on free ports, buys N
tasks one after the other with the requester code path, and prints the figures. Usage:

    .venv/bin/python bench/task_latency.py [N]
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from workerpool.cli import commands
from workerpool.cli.devpool import DevPool
from workerpool.compute.images import DEMO_APP_TAG, build_demo_app
from workerpool.compute.runtime import DockerRuntime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bare_docker_run_s(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(["docker", "run", "--rm", DEMO_APP_TAG, "hello", "bench"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main(n: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="wp-bench-"))
    worker_port = _free_port()
    pool = DevPool(home, chain_port=_free_port(), scheduler_port=_free_port(), worker_port_base=worker_port - 1,
                   ask_period_ms=250)
    started = time.perf_counter()
    info = pool.ensure_pool(workers=1)
    build_demo_app(DockerRuntime())
    pool.start_scheduler(info)
    pool.start_worker(info, 1)
    commands.app_register(home, image=DEMO_APP_TAG, name="demo-app", price_nrlc=0, quiet=True)
    up_s = time.perf_counter() - started
    try:
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            code = commands.run(home, DEMO_APP_TAG, ["hello", f"bench-{i}"], trust=1, category=0,
                                output=home / "results", timeout_s=300)
            assert code == 0, f"run {i} exited {code}"
            times.append(time.perf_counter() - t0)
    finally:
        pool.down()
    bare = _bare_docker_run_s(5)
    print("\n== workerpool task latency (trust 1, demo app, one worker, Hardhat automine) ==")
    print(f"pool start (chain + PoCo deploy + wallets + scheduler + worker): {up_s:.1f} s")
    print(f"run -> verified result, {n} tasks: median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s")
    print(f"bare `docker run --rm {DEMO_APP_TAG}`: median {statistics.median(bare):.2f} s over {len(bare)} runs")
    print(f"overhead of the protocol (5 transactions, 3 processes, upload, verify): "
          f"{statistics.median(times) - statistics.median(bare):.2f} s per task")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
