"""Start and stop the embedded dev chain: a Hardhat 2 node (npm ``hardhat``) as a subprocess.

Measured: the node answers ``eth_chainId`` 1.4-1.8 s after spawn on a 2-core machine.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from workerpool.chain.artifacts import node_modules_dir
from workerpool.common.errors import ConfigError, NodeUnreachable

__all__ = ["HARDHAT_CONFIG", "HardhatNode", "START_TIMEOUT_S", "start_hardhat_node"]

log = logging.getLogger(__name__)

#: Our Hardhat config (chainId 31337, shanghai, 60 M block gas, automine, test mnemonic).
HARDHAT_CONFIG = Path(__file__).with_name("hardhat.config.js")
#: Give up when the node does not answer within this many seconds.
START_TIMEOUT_S = 60.0
#: After SIGTERM, wait this long before SIGKILL.
_STOP_GRACE_S = 5.0
_LOG_TAIL_CHARS = 2000


class HardhatNode:
    """A running Hardhat node subprocess (its own process group); use as a context manager."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
        self._process = process
        #: JSON-RPC URL of the node.
        self.url = url
        #: Where the node's stdout/stderr go.
        self.log_path = log_path

    @property
    def pid(self) -> int:
        """Process id of the node (also its process group id)."""
        return self._process.pid

    def is_running(self) -> bool:
        """True while the subprocess has not exited."""
        return self._process.poll() is None

    def stop(self) -> None:
        """Stop the node: SIGTERM to its process group, then SIGKILL after a grace period."""
        if not self.is_running():
            return
        self._signal_group(signal.SIGTERM)
        try:
            self._process.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            log.warning("hardhat node pid %d ignored SIGTERM; killing it", self.pid)
            self._signal_group(signal.SIGKILL)
            self._process.wait(timeout=_STOP_GRACE_S)
        log.info("hardhat node pid %d stopped", self.pid)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, sig)

    def __enter__(self) -> HardhatNode:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_hardhat_node(
    *, host: str = "127.0.0.1", port: int = 8545, log_path: Path, node_modules: Path | None = None
) -> HardhatNode:
    """Spawn ``hardhat node`` with our config and wait until it answers JSON-RPC.

    Parameters:
        host, port: where the node listens.
        log_path: file receiving the node's output (parent dirs created).
        node_modules: the ``node_modules`` holding ``hardhat``; found like the PoCo package when None.

    Raises:
        ConfigError: hardhat is not installed.
        NodeUnreachable: the node died or did not answer within :data:`START_TIMEOUT_S` (with its log tail).
    """
    modules = node_modules if node_modules is not None else node_modules_dir()
    cli = modules / "hardhat" / "internal" / "cli" / "cli.js"
    if not cli.is_file():
        raise ConfigError(f"hardhat is not installed in {modules}: run `npm ci` (make setup)")
    command = [
        "node",
        str(cli),
        "node",
        "--hostname",
        host,
        "--port",
        str(port),
        "--config",
        str(HARDHAT_CONFIG),
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://{host}:{port}"
    if _answers_chain_id(url):
        raise ConfigError(f"a JSON-RPC node already answers at {url}: stop it or choose another port")
    started = time.perf_counter()
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(
            command,
            # hardhat refuses a "non-local installation" unless run from the project holding node_modules
            cwd=modules.parent,
            env=_node_env(),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    node = HardhatNode(process, url, log_path)
    try:
        _wait_until_answering(node, START_TIMEOUT_S)
    except BaseException:
        node.stop()
        raise
    log.info("hardhat node pid %d answers at %s after %.2f s", node.pid, url, time.perf_counter() - started)
    return node


def _node_env() -> dict[str, str]:
    env = dict(os.environ)
    env["HARDHAT_DISABLE_TELEMETRY_PROMPT"] = "true"
    env["WORKERPOOL_HARDHAT_SCRATCH"] = env.get("WORKERPOOL_HARDHAT_SCRATCH") or "/tmp/workerpool-hardhat"
    return env


def _wait_until_answering(node: HardhatNode, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not node.is_running():
            raise NodeUnreachable(f"hardhat node exited at start; log tail:\n{_log_tail(node.log_path)}")
        if _answers_chain_id(node.url):
            return
        time.sleep(0.05)
    raise NodeUnreachable(
        f"hardhat node did not answer at {node.url} within {timeout_s:.0f} s (port in use?); "
        f"log tail:\n{_log_tail(node.log_path)}"
    )


def _answers_chain_id(url: str) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return "result" in json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _log_tail(log_path: Path) -> str:
    try:
        return log_path.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
    except OSError:
        return "(no log)"
