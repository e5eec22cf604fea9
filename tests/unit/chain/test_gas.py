"""Gas price policy: pure function and its dataclass wrapper."""

from __future__ import annotations

import pytest

from workerpool.chain.gas import DEFAULT_CAP_WEI, GasPolicy, gas_price_wei


def test_multiplier_applies_below_the_cap() -> None:
    assert gas_price_wei(1_000_000_000, multiplier=1.3, cap_wei=22_000_000_000) == 1_300_000_000


def test_cap_bounds_the_bid() -> None:
    assert gas_price_wei(50_000_000_000, multiplier=1.3, cap_wei=22_000_000_000) == 22_000_000_000


@pytest.mark.parametrize("network_price_wei", [None, 0, -5])
def test_unknown_network_price_bids_the_cap(network_price_wei: int | None) -> None:
    assert gas_price_wei(network_price_wei, multiplier=1.3, cap_wei=7) == 7


def test_result_is_an_int() -> None:
    assert isinstance(gas_price_wei(3, multiplier=1.5, cap_wei=100), int)
    assert gas_price_wei(3, multiplier=1.5, cap_wei=100) == 4


def test_policy_defaults_and_price() -> None:
    policy = GasPolicy()
    assert policy.multiplier == 1.3
    assert policy.cap_wei == DEFAULT_CAP_WEI == 22_000_000_000
    assert policy.price_wei(10) == 13
    assert policy.price_wei(None) == DEFAULT_CAP_WEI
    assert GasPolicy(multiplier=2.0, cap_wei=15).price_wei(10) == 15
