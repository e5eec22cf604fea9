"""PocoClient's worker transactions go out with fixed gas limits (worker-spec §6.3), no estimate."""

from __future__ import annotations

from typing import Any, cast

import pytest
from web3 import Web3

from workerpool.chain.poco import CONTRIBUTE_GAS, REVEAL_GAS, PocoClient

HUB = "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"
TASK = "0x" + "12" * 32


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int | None, str]] = []

    def send(self, to: str, data: str, *, gas: int | None = None, description: str = "") -> str:
        self.sent.append((to, gas, description))
        return "receipt"


@pytest.fixture
def sender_and_hub() -> tuple[RecordingSender, PocoClient]:
    sender = RecordingSender()
    return sender, PocoClient(Web3(), HUB, sender=cast(Any, sender))  # encoding needs no node


def test_the_iexec_gas_limits() -> None:
    assert (CONTRIBUTE_GAS, REVEAL_GAS) == (500_000, 150_000)


def test_contribute_and_reveal_default_to_their_fixed_gas(sender_and_hub: tuple[RecordingSender, PocoClient]) -> None:
    sender, hub = sender_and_hub

    hub.contribute(TASK, "0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 65)
    hub.reveal(TASK, "0x" + "04" * 32)

    assert sender.sent == [(HUB, 500_000, f"contribute task={TASK}"), (HUB, 150_000, f"reveal task={TASK}")]


def test_the_gas_can_be_overridden_or_estimated(sender_and_hub: tuple[RecordingSender, PocoClient]) -> None:
    sender, hub = sender_and_hub

    hub.contribute(TASK, "0x" + "01" * 32, "0x" + "02" * 32, "0x" + "03" * 65, gas=None)
    hub.reveal(TASK, "0x" + "04" * 32, gas=123_456)

    assert [gas for _, gas, _ in sender.sent] == [None, 123_456]
