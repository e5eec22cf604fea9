"""connect() against nothing: a clear NodeUnreachable, fast."""

from __future__ import annotations

import socket

import pytest

from workerpool.chain.node import connect
from workerpool.common.errors import NodeUnreachable


def test_nothing_listening_raises_node_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        NodeUnreachable, match=f"no Ethereum JSON-RPC node answers at http://127.0.0.1:{port}"
    ):
        connect(f"http://127.0.0.1:{port}", timeout_s=1)
