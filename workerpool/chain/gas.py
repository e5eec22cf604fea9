"""Gas price policy: a pure decision, no I/O (STYLE habit 3).

The sender reads ``eth_gasPrice`` from the node and asks the policy what to bid. We bid a little
above the network price so our transactions are not starved, but never above a cap, so a spike
(or a hostile node) cannot drain the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CAP_WEI", "DEFAULT_MULTIPLIER", "GasPolicy", "gas_price_wei"]

#: Bid this many times the network gas price (iexec-worker uses 1.3 as well).
DEFAULT_MULTIPLIER = 1.3
#: Never bid more than 22 gwei per gas unit.
DEFAULT_CAP_WEI = 22_000_000_000


def gas_price_wei(network_price_wei: int | None, *, multiplier: float, cap_wei: int) -> int:
    """Return the gas price to bid, in wei.

    Parameters:
        network_price_wei: what ``eth_gasPrice`` answered; None (unknown) or <= 0 means "bid the cap".
        multiplier: factor applied to the network price.
        cap_wei: upper bound of the bid.

    Returns:
        ``min(int(network_price_wei * multiplier), cap_wei)``, or ``cap_wei`` when the price is unknown.
    """
    if network_price_wei is None or network_price_wei <= 0:
        return cap_wei
    return min(int(network_price_wei * multiplier), cap_wei)


@dataclass(frozen=True)
class GasPolicy:
    """How a sender prices its transactions."""

    #: Factor applied to the network gas price.
    multiplier: float = DEFAULT_MULTIPLIER
    #: Upper bound of the bid, in wei per gas unit.
    cap_wei: int = DEFAULT_CAP_WEI

    def price_wei(self, network_price_wei: int | None) -> int:
        """Return the bid for this network price (see :func:`gas_price_wei`)."""
        return gas_price_wei(network_price_wei, multiplier=self.multiplier, cap_wei=self.cap_wei)
