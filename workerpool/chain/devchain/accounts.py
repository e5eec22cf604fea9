"""Dev-chain account helpers: fund and stake accounts, register apps and workerpools, move time.

Dev and tests only: the admin is the PoCo deployer (it holds the 87 M RLC minted at deployment).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3

from workerpool.chain.artifacts import app_registry_abi, hub_abi, rlc_abi, workerpool_registry_abi
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.tx import TxReceipt, TxSender
from workerpool.common.errors import ChainError, DeploymentError

__all__ = [
    "account_balances",
    "create_app",
    "create_workerpool",
    "fund_account",
    "increase_time",
    "sender_for",
]

log = logging.getLogger(__name__)

#: ERC-721 / ERC-20 Transfer(address,address,uint256) topic0.
_TRANSFER_TOPIC = "0x" + Web3.keccak(text="Transfer(address,address,uint256)").hex()
#: Fixed gas limits measured in poco-deploy-notes §3 (with margin): no estimate round trips.
_ETH_TRANSFER_GAS = 21_000
_RLC_TRANSFER_GAS = 200_000
_APPROVE_AND_CALL_GAS = 400_000
_CREATE_ASSET_GAS = 2_000_000

_senders: weakref.WeakKeyDictionary[Web3, dict[str, TxSender]] = weakref.WeakKeyDictionary()
_senders_lock = threading.Lock()


def sender_for(w3: Web3, account: LocalAccount) -> TxSender:
    """The shared TxSender of ``account`` on ``w3`` (one per account, so local nonces never clash)."""
    with _senders_lock:
        by_address = _senders.setdefault(w3, {})
        address = account.address.lower()
        if address not in by_address:
            by_address[address] = TxSender(w3, account)
        return by_address[address]


def fund_account(
    w3: Web3,
    deployment: Deployment,
    admin: LocalAccount,
    account: LocalAccount,
    *,
    eth_wei: int = 100 * 10**18,
    rlc_nrlc: int = 1000 * 10**9,
    deposit_nrlc: int = 500 * 10**9,
) -> None:
    """Give ``account`` ETH and RLC from ``admin``, then deposit ``deposit_nrlc`` into its hub account.

    The deposit is one transaction sent by the account: ``RLC.approveAndCall(hub, deposit, 0x)``,
    which makes the hub pull the RLC and mint SRLC (poco-spec §5.2).

    Raises:
        TransactionFailed: one of the three transactions failed.
    """
    started = time.perf_counter()
    admin_sender = sender_for(w3, admin)
    if eth_wei > 0:
        admin_sender.send(
            account.address, b"", gas=_ETH_TRANSFER_GAS, value_wei=eth_wei, description="fund ETH"
        )
    rlc = w3.eth.contract(address=to_checksum_address(deployment.rlc), abi=rlc_abi())
    if rlc_nrlc > 0:
        data = rlc.encode_abi("transfer", args=[to_checksum_address(account.address), rlc_nrlc])
        admin_sender.send(deployment.rlc, data, gas=_RLC_TRANSFER_GAS, description="RLC.transfer")
    if deposit_nrlc > 0:
        data = rlc.encode_abi("approveAndCall", args=[to_checksum_address(deployment.hub), deposit_nrlc, b""])
        sender_for(w3, account).send(
            deployment.rlc, data, gas=_APPROVE_AND_CALL_GAS, description="RLC.approveAndCall"
        )
    log.info(
        "funded %s: %d wei, %d nRLC, %d nRLC deposited (%.0f ms)",
        account.address.lower(),
        eth_wei,
        rlc_nrlc,
        deposit_nrlc,
        (time.perf_counter() - started) * 1e3,
    )


def create_workerpool(w3: Web3, deployment: Deployment, owner: LocalAccount, description: str) -> str:
    """Register a workerpool owned by ``owner`` and return its address (lowercase).

    Creating the same (owner, description) twice returns the existing workerpool (CREATE2 address).
    """
    registry = w3.eth.contract(
        address=to_checksum_address(deployment.workerpool_registry), abi=workerpool_registry_abi()
    )
    args = [to_checksum_address(owner.address), description]
    predicted = str(registry.functions.predictWorkerpool(*args).call()).lower()
    if _has_code(w3, predicted):
        log.info("workerpool %s already exists for %s", predicted, owner.address.lower())
        return predicted
    data = registry.encode_abi("createWorkerpool", args=args)
    receipt = sender_for(w3, owner).send(
        deployment.workerpool_registry, data, gas=_CREATE_ASSET_GAS, description="createWorkerpool"
    )
    return _minted_address(receipt, deployment.workerpool_registry)


def create_app(
    w3: Web3,
    deployment: Deployment,
    owner: LocalAccount,
    *,
    name: str,
    image: str,
    checksum: str = "0x" + "00" * 32,
    mrenclave: bytes = b"",
) -> str:
    """Register a DOCKER app (multiaddr = the image reference) and return its address (lowercase).

    Creating an app with the same arguments again returns the existing one (``predictApp``)
    instead of reverting on the CREATE2 collision.
    """
    registry = w3.eth.contract(address=to_checksum_address(deployment.app_registry), abi=app_registry_abi())
    args = [
        to_checksum_address(owner.address),
        name,
        "DOCKER",
        image.encode(),
        bytes.fromhex(checksum[2:]),
        mrenclave,
    ]
    predicted = str(registry.functions.predictApp(*args).call()).lower()
    if _has_code(w3, predicted):
        log.info("app %s already exists (%s)", predicted, name)
        return predicted
    data = registry.encode_abi("createApp", args=args)
    receipt = sender_for(w3, owner).send(
        deployment.app_registry, data, gas=_CREATE_ASSET_GAS, description="createApp"
    )
    return _minted_address(receipt, deployment.app_registry)


def account_balances(w3: Web3, deployment: Deployment, address: str) -> dict[str, int]:
    """Return ``eth_wei``, ``rlc_nrlc`` (wallet), ``stake_nrlc`` (hub balanceOf), ``locked_nrlc`` (frozenOf).

    Costs 4 RPC calls (about 40-60 ms on a local Hardhat node).
    """
    checksum = to_checksum_address(address)
    rlc = w3.eth.contract(address=to_checksum_address(deployment.rlc), abi=rlc_abi())
    hub = w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())
    return {
        "eth_wei": int(w3.eth.get_balance(checksum)),
        "rlc_nrlc": int(rlc.functions.balanceOf(checksum).call()),
        "stake_nrlc": int(hub.functions.balanceOf(checksum).call()),
        "locked_nrlc": int(hub.functions.frozenOf(checksum).call()),
    }


def increase_time(w3: Web3, seconds: int) -> None:
    """Move the dev chain's clock forward and mine a block (Hardhat ``evm_increaseTime`` + ``evm_mine``)."""
    for method, params in (("evm_increaseTime", [int(seconds)]), ("evm_mine", [])):
        response: Any = w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in response:
            raise ChainError(f"{method} failed: {response['error']} (is this a Hardhat dev chain?)")


def _has_code(w3: Web3, address: str) -> bool:
    return len(w3.eth.get_code(to_checksum_address(address))) > 0


def _minted_address(receipt: TxReceipt, registry: str) -> str:
    """The new asset's address: the ERC-721 Transfer log's tokenId (topics[3]), last 20 bytes."""
    for entry in receipt.raw["logs"]:
        topics = entry["topics"]
        if (
            entry["address"].lower() == registry
            and len(topics) == 4
            and "0x" + bytes(topics[0]).hex() == _TRANSFER_TOPIC
        ):
            return "0x" + bytes(topics[3])[-20:].hex()
    raise DeploymentError(f"no ERC-721 Transfer log from registry {registry} in tx {receipt.tx_hash}")
