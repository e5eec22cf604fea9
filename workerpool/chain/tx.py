"""Send transactions: legacy (type 0) EIP-155, local nonces, fast receipt polling.

One :class:`TxSender` per account. Nonces are kept locally under a lock, so many threads can share
a sender; the lock covers only nonce allocation and ``eth_sendRawTransaction``, waiting for the
receipt happens outside it. The local nonce is re-read from the node (``pending``) on first use
and after any send error, so a failed send never leaves a gap.

Legacy transactions with ``gasPrice`` work on every chain we target (Hardhat, Arbitrum, the
Berlin-era Bellecour sidechain), unlike EIP-1559 fields.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import TxParams

from workerpool.chain.artifacts import hub_abi
from workerpool.chain.gas import GasPolicy
from workerpool.common.errors import TransactionFailed, WorkerpoolError

__all__ = ["GAS_ESTIMATE_FACTOR", "GAS_ESTIMATE_EXTRA", "TxReceipt", "TxSender", "revert_reason"]

log = logging.getLogger(__name__)

#: Gas limit = estimate × this factor + GAS_ESTIMATE_EXTRA: PoCo paths vary with storage state.
GAS_ESTIMATE_FACTOR = 1.2
#: Constant added to the scaled estimate, in gas units.
GAS_ESTIMATE_EXTRA = 10_000
#: Error(string) and Panic(uint256) revert payload selectors.
_ERROR_STRING_SELECTOR = "0x08c379a0"
_PANIC_SELECTOR = "0x4e487b71"


@dataclass(frozen=True)
class TxReceipt:
    """The outcome of a mined, successful transaction."""

    tx_hash: str
    block_number: int
    status: int
    gas_used: int
    contract_address: str | None
    #: The web3 receipt, for event decoding.
    raw: Any


class TxSender:
    """Signs and sends the transactions of one account (thread-safe)."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        gas_policy: GasPolicy = GasPolicy(),
        chain_id: int | None = None,
        receipt_timeout_s: float = 120,
        poll_interval_s: float = 0.01,
    ) -> None:
        self._w3 = w3
        self._account = account
        self._gas_policy = gas_policy
        self._chain_id = chain_id
        self._receipt_timeout_s = receipt_timeout_s
        self._poll_interval_s = poll_interval_s
        self._lock = threading.Lock()
        self._next_nonce: int | None = None
        #: The sender's address, lowercase.
        self.address: str = account.address.lower()

    def send(
        self, to: str, data: str | bytes, *, gas: int | None = None, value_wei: int = 0, description: str = ""
    ) -> TxReceipt:
        """Send a call to ``to`` and wait for its receipt.

        Parameters:
            to: contract or account address.
            data: call data (hex string or bytes).
            gas: gas limit; None estimates it (and refuses to send a transaction that would revert).
            value_wei: ETH to send along.
            description: short label for logs and error messages ("matchOrders", ...).

        Raises:
            TransactionFailed: the estimate reverts (nothing sent), the send is refused, the receipt has
                status 0, or no receipt came within ``receipt_timeout_s``.
        """
        tx: dict[str, Any] = {"to": to_checksum_address(to), "data": _hex(data), "value": value_wei}
        return self._transact(tx, gas, description or f"call to {to}")

    def deploy(self, bytecode: str, *, gas: int | None = None, description: str = "") -> TxReceipt:
        """Send a contract creation; the receipt's ``contract_address`` is the new contract."""
        tx: dict[str, Any] = {"data": _hex(bytecode), "value": 0}
        return self._transact(tx, gas, description or "contract creation")

    def balance_wei(self) -> int:
        """Return the sender's ETH balance, in wei."""
        return int(self._w3.eth.get_balance(to_checksum_address(self.address)))

    def _transact(self, tx: dict[str, Any], gas: int | None, description: str) -> TxReceipt:
        started = time.perf_counter()
        tx["gas"] = gas if gas is not None else self._estimate_gas(tx, description)
        tx["gasPrice"] = self._gas_policy.price_wei(_network_gas_price_wei(self._w3))
        tx["chainId"] = self._resolve_chain_id()
        tx_hash = self._sign_and_send(tx, description)
        receipt = self._wait_for_receipt(tx_hash, description)
        elapsed_ms = (time.perf_counter() - started) * 1e3
        if receipt["status"] != 1:
            log.warning(
                "tx %s reverted: %s (gas used %d, %.0f ms)",
                tx_hash,
                description,
                receipt["gasUsed"],
                elapsed_ms,
            )
            raise TransactionFailed(
                f"{description} reverted on chain in tx {tx_hash} "
                f"(gas used {receipt['gasUsed']} of {tx['gas']})",
                tx_hash=tx_hash,
                receipt=json.loads(Web3.to_json(receipt)),
            )
        log.info("tx %s: gas used %d, %.0f ms", description, receipt["gasUsed"], elapsed_ms)
        contract_address = receipt.get("contractAddress")
        return TxReceipt(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            status=int(receipt["status"]),
            gas_used=int(receipt["gasUsed"]),
            contract_address=contract_address.lower() if contract_address else None,
            raw=receipt,
        )

    def _estimate_gas(self, tx: dict[str, Any], description: str) -> int:
        try:
            params = cast(TxParams, {**tx, "from": to_checksum_address(self.address)})
            estimate = int(self._w3.eth.estimate_gas(params))
        except (ContractLogicError, Web3RPCError) as e:
            raise TransactionFailed(f"{description} would revert: {revert_reason(e)} (not sent)") from e
        return int(estimate * GAS_ESTIMATE_FACTOR) + GAS_ESTIMATE_EXTRA

    def _resolve_chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self._w3.eth.chain_id)
        return self._chain_id

    def _sign_and_send(self, tx: dict[str, Any], description: str) -> str:
        with self._lock:
            if self._next_nonce is None:
                address = to_checksum_address(self.address)
                self._next_nonce = int(self._w3.eth.get_transaction_count(address, "pending"))
            tx["nonce"] = self._next_nonce
            signed = self._account.sign_transaction(tx)
            try:
                tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
            except Exception as e:  # any refusal: re-sync the nonce from the node next time
                self._next_nonce = None
                raise TransactionFailed(f"{description} was refused by the node: {revert_reason(e)}") from e
            self._next_nonce += 1
        return "0x" + bytes(tx_hash).hex()

    def _wait_for_receipt(self, tx_hash: str, description: str) -> Any:
        deadline = time.monotonic() + self._receipt_timeout_s
        while True:
            try:
                return self._w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                pass
            if time.monotonic() > deadline:
                raise TransactionFailed(
                    f"no receipt for {description} (tx {tx_hash}) after {self._receipt_timeout_s} s: "
                    "is the node mining?",
                    tx_hash=tx_hash,
                )
            time.sleep(self._poll_interval_s)


def revert_reason(error: BaseException) -> str:
    """Best-effort human reason of a revert or RPC error.

    Returns the require string ("iExecV5-matchOrders-0x21"), the custom error signature, "panic 0x11",
    "no reason" for a bare revert, or else the node's message.
    """
    if isinstance(error, ContractLogicError):
        data = error.data.get("data") if isinstance(error.data, dict) else error.data
        decoded = _decode_revert_data(data) if isinstance(data, str) else None
        if decoded is not None:
            return decoded
        message = error.message or str(error)
        return message.removeprefix("execution reverted: ")
    if isinstance(error, Web3RPCError):
        return error.message
    if isinstance(error, WorkerpoolError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _decode_revert_data(data: str) -> str | None:
    payload = data.lower().removeprefix("0x")
    if not payload:
        return "no reason"
    selector, body = "0x" + payload[:8], bytes.fromhex(payload[8:]) if len(payload) % 2 == 0 else b""
    try:
        if selector == _ERROR_STRING_SELECTOR:
            return str(abi_decode(["string"], body)[0])
        if selector == _PANIC_SELECTOR:
            return f"panic {abi_decode(['uint256'], body)[0]:#x}"
    except Exception:  # malformed revert data: fall back to the node's message
        return None
    name = _custom_errors().get(selector)
    return f"{name} ({selector})" if name else f"custom error {selector}"


@functools.lru_cache(maxsize=1)
def _custom_errors() -> dict[str, str]:
    """Selector -> signature of the custom errors declared by the hub ABI (IexecPoco1Errors, ...)."""
    errors: dict[str, str] = {}
    try:
        abi = hub_abi()
    except WorkerpoolError:
        return errors
    for item in abi:
        if item.get("type") == "error":
            signature = f"{item['name']}({','.join(i['type'] for i in item.get('inputs', []))})"
            errors["0x" + Web3.keccak(text=signature)[:4].hex()] = signature
    return errors


def _network_gas_price_wei(w3: Web3) -> int | None:
    try:
        return int(w3.eth.gas_price)
    except Exception:  # an unknown price is a policy input (bid the cap), not a failure
        log.warning("eth_gasPrice failed; bidding the gas price cap", exc_info=True)
        return None


def _hex(data: str | bytes) -> str:
    if isinstance(data, bytes | bytearray):
        return "0x" + bytes(data).hex()
    return data if data.startswith("0x") else "0x" + data
