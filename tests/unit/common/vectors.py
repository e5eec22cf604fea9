"""One fixed PoCo scenario, shared by the hashing unit tests and the on-chain check.

Every input is deterministic (keys derived from labels, fixed salts, the dev deployment's deterministic hub
address), so the values below were computed once on the genuine PoCo (tests/integration/common/
test_hashes_on_chain.py replays the scenario and asserts the chain produced exactly these values) and are
pinned here so the pure functions are checked without a chain too.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from workerpool.common.orders import AppOrder, Domain, RequestOrder, WorkerpoolOrder

__all__ = [
    "CHAIN_ID", "HUB", "APP", "WORKERPOOL", "APP_IMAGE", "POOL_DESCRIPTION", "CATEGORY", "TRUST",
    "SCHEDULER", "WORKER", "account", "app_order", "workerpool_order", "request_order", "domain", "RESULT_DIGEST",
    "APP_ORDER_HASH", "WORKERPOOL_ORDER_HASH", "REQUEST_ORDER_HASH", "DEAL_ID", "TASK_ID",
    "RESULT_HASH", "RESULT_SEAL", "AUTHORIZATION_HASH", "AUTHORIZATION_SIGN",
]  # fmt: skip

#: Hardhat's chain id and the hub of a fresh dev deployment (deterministic: deployer nonce 0 on a fresh node).
CHAIN_ID = 31337
HUB = "0x5fc8d32690cc91d4c39d9d3abcbd16989f875707"
APP_IMAGE = "docker.io/iexechub/python-hello-world:8.0.0"
POOL_DESCRIPTION = "hash-vectors-pool"
CATEGORY = 0
TRUST = 1
RESULT_DIGEST = "0x" + keccak(b"hash-vectors result").hex()


def account(label: str) -> LocalAccount:
    """A deterministic account for ``label`` (app-owner, scheduler, requester, worker, forger)."""
    key: LocalAccount = Account.from_key(keccak(f"workerpool-tests/{label}".encode()))
    return key


def _salt(label: str) -> str:
    return "0x" + keccak(f"workerpool-tests/salt/{label}".encode()).hex()


def domain() -> Domain:
    return Domain(chain_id=CHAIN_ID, hub=HUB)


#: Addresses of account("scheduler") and account("worker").
SCHEDULER = "0x91e0e8536a06761258982a49111257eeee7586d8"
WORKER = "0x9131b5a49113aa31f0f264c5753453144e86a6cf"

#: CREATE2 addresses of the app and workerpool registered by the scenario (pinned, checked on chain).
APP = "0x1b9ea4c3ca480c9a3ca170f3ddc79a3f96af5d3b"
WORKERPOOL = "0x2bd661e1bba086d6be8d242ba1fa25065752c541"


def app_order() -> AppOrder:
    return AppOrder(app=APP, appprice=5, volume=1, salt=_salt("app"))


def workerpool_order() -> WorkerpoolOrder:
    return WorkerpoolOrder(workerpool=WORKERPOOL, workerpoolprice=100, volume=1, category=CATEGORY, trust=TRUST,
                           salt=_salt("workerpool"))


def request_order() -> RequestOrder:
    requester = account("requester").address.lower()
    return RequestOrder(app=APP, appmaxprice=5, workerpool=WORKERPOOL, workerpoolmaxprice=100,
                        requester=requester, volume=1, category=CATEGORY, trust=TRUST, beneficiary=requester,
                        params='{"iexec_args":"hash vectors"}', salt=_salt("request"))

#: Pinned outputs: computed on the genuine PoCo by the on-chain scenario (see module docstring).
APP_ORDER_HASH = "0x1c0d93e4582e3b622b57bdfab788f02b1696c24e99db20a4a174fbffca9dcf08"
WORKERPOOL_ORDER_HASH = "0xe8384ca299f40a6d90fbeaf76bcc036d224cecc635f18ae9aabc28568f364aca"
REQUEST_ORDER_HASH = "0xfa26d26b9244630c169be0be5098c70b71df36b5a360e30a3e3f2e33d00c89d9"
DEAL_ID = "0xbc24018953532145ebf6164e4e956fc8e200a948952bb8ba64742fd5e8e9fd9b"
TASK_ID = "0x9bafd540ccdb61b5de2d9c3c74b4b11b306c50aef4e61ccc63326e6843829061"
RESULT_HASH = "0xbfa66ea303f460a17ba5377aec64110b5ffc80e07955082892d40f75f4cba1d8"
RESULT_SEAL = "0x56111b3d111dc72b2718d6e1dee84088c15a153cfc8617000a8f1d8b3c8c617b"
AUTHORIZATION_HASH = "0x4f89306f87bd3de8c591fd8689c77c7e8360fbc01edce2b818d679168dde22c8"
AUTHORIZATION_SIGN = (
    "0x0955a0aeccbd7719d6dbe81b5fcc043213451560154f170a07c46fbee0e6ecef"
    "151879cafd1ce9d64a9a58c41355b93a64ccfd6e0f58247b3f2f8cfcec541e3a1b"
)
