"""TxSender on a real node: reverts, receipts and nonces under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3

from workerpool.chain.artifacts import hub_abi
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.tx import TxSender
from workerpool.common.errors import TransactionFailed

pytestmark = pytest.mark.chain

#: hub.initialize(bytes32 dealid, uint256 idx) on a deal that does not exist.
UNKNOWN_DEAL_INITIALIZE = "0x5b36c66b" + "12" * 32 + "00" * 32


def test_reverting_estimate_raises_without_sending(
    w3: Web3, deployment: Deployment, funded_account: LocalAccount
) -> None:
    sender = TxSender(w3, funded_account)
    nonce_before = w3.eth.get_transaction_count(to_checksum_address(sender.address))
    with pytest.raises(TransactionFailed, match="initialize would revert") as caught:
        sender.send(deployment.hub, UNKNOWN_DEAL_INITIALIZE, description="initialize")
    assert caught.value.tx_hash is None
    assert w3.eth.get_transaction_count(to_checksum_address(sender.address)) == nonce_before


def test_reverting_tx_with_fixed_gas_gives_receipt_and_sender_survives(
    w3: Web3, deployment: Deployment, funded_account: LocalAccount
) -> None:
    sender = TxSender(w3, funded_account)
    with pytest.raises(TransactionFailed, match="reverted on chain") as caught:
        sender.send(deployment.hub, UNKNOWN_DEAL_INITIALIZE, gas=500_000, description="initialize")
    assert caught.value.tx_hash is not None
    assert caught.value.receipt is not None and caught.value.receipt["status"] == 0
    receipt = sender.send(sender.address, b"", value_wei=1, description="after revert")
    assert receipt.status == 1 and receipt.gas_used == 21_000


def test_deploy_returns_contract_address(w3: Web3, funded_account: LocalAccount) -> None:
    # init code returning a 1-byte runtime (0x00): PUSH1 1 PUSH1 0 RETURN after storing nothing
    receipt = TxSender(w3, funded_account).deploy("0x60016000f3", description="tiny contract")
    assert receipt.contract_address is not None
    assert receipt.contract_address == receipt.contract_address.lower()
    assert len(w3.eth.get_code(to_checksum_address(receipt.contract_address))) == 1


def test_nonce_is_consistent_across_concurrent_sends(w3: Web3, funded_account: LocalAccount) -> None:
    sender = TxSender(w3, funded_account)
    address = to_checksum_address(sender.address)
    nonce_before = w3.eth.get_transaction_count(address)
    balance_before = sender.balance_wei()
    with ThreadPoolExecutor(max_workers=20) as pool:
        receipts = list(
            pool.map(lambda i: sender.send(sender.address, b"", value_wei=i, description=f"tx{i}"), range(20))
        )
    assert all(r.status == 1 for r in receipts)
    assert len({r.tx_hash for r in receipts}) == 20
    nonces = sorted(w3.eth.get_transaction(r.tx_hash)["nonce"] for r in receipts)  # type: ignore[arg-type]
    assert nonces == list(range(nonce_before, nonce_before + 20))
    assert w3.eth.get_transaction_count(address) == nonce_before + 20
    assert sender.balance_wei() < balance_before  # only gas spent: the value went to itself


def test_legacy_transaction_priced_by_policy(w3: Web3, funded_account: LocalAccount) -> None:
    receipt = TxSender(w3, funded_account).send(funded_account.address, b"", description="legacy")
    tx = w3.eth.get_transaction(receipt.tx_hash)  # type: ignore[arg-type]
    assert tx["type"] == 0
    assert tx["v"] in (31337 * 2 + 35, 31337 * 2 + 36)  # EIP-155
    assert 0 < tx["gasPrice"] <= 22_000_000_000


def test_revert_reason_is_decoded(w3: Web3, deployment: Deployment, admin: LocalAccount) -> None:
    hub = w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())
    zero = "0x" + "00" * 20
    data = hub.encode_abi("configure", args=[zero, "a", "b", 9, zero, zero, zero, zero])
    with pytest.raises(TransactionFailed, match="configure would revert: already-configured"):
        TxSender(w3, admin).send(deployment.hub, data, description="configure")
