"""Connect to an Ethereum JSON-RPC node over HTTP.

Cost of one call: on a local Hardhat node (HTTP, same machine, 2 cores) a simple JSON-RPC call
(``eth_chainId``, ``eth_getBalance``, an ``eth_call`` view) takes about 1-3 ms round trip through
web3.py; a transaction with its receipt about 10-30 ms. Batch reads where a loop would make
hundreds of them, and keep polling intervals well above a few ms.
"""

from __future__ import annotations

import logging
import time

from web3 import HTTPProvider, Web3

from workerpool.common.errors import NodeUnreachable

__all__ = ["connect"]

log = logging.getLogger(__name__)


def connect(url: str, *, timeout_s: float = 10) -> Web3:
    """Return a Web3 client for the node at ``url`` after checking it answers ``eth_chainId``.

    Parameters:
        url: HTTP(S) JSON-RPC endpoint, e.g. ``http://127.0.0.1:8545``.
        timeout_s: timeout of every HTTP request made through this client.

    Raises:
        NodeUnreachable: nothing answers at ``url`` (or not JSON-RPC).
    """
    # No automatic retries: a dead node must be reported at once, and retrying sends
    # (eth_sendRawTransaction) is the TxSender's decision, not the transport's.
    provider = HTTPProvider(url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None)
    w3 = Web3(provider)
    started = time.perf_counter()
    try:
        chain_id = w3.eth.chain_id
    except Exception as e:  # requests, JSON and web3 errors all mean "no usable node here"
        raise NodeUnreachable(
            f"no Ethereum JSON-RPC node answers at {url}: start one with `workerpool chain` "
            "or set IEXEC_BLOCKCHAIN_NODE_ADDRESS (scheduler) / "
            "IEXEC_WORKER_OVERRIDE_BLOCKCHAIN_NODE_ADDRESS (worker) to a running node "
            f"({type(e).__name__}: {e})"
        ) from e
    log.info("connected to %s (chain id %d) in %.1f ms", url, chain_id, (time.perf_counter() - started) * 1e3)
    return w3
