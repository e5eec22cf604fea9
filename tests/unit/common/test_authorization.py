"""WorkerpoolAuthorization: EIP-191 signature over keccak(worker ‖ taskid ‖ enclave) (poco-spec §3.3)."""

from __future__ import annotations

import pytest
from eth_account import Account

from tests.unit.common import vectors as v
from workerpool.common.authorization import (
    WorkerpoolAuthorization,
    recover_authorization_signer,
    recover_hash_signer,
    sign_authorization,
    sign_hash,
)
from workerpool.common.hashing import ZERO_ADDRESS, authorization_hash

#: worker-spec §3.3 test vector (from the iExec worker's tests).
SPEC_WORKER = "0x748e091bf16048cb5103E0E10F9D5a8b7fBDd860"
SPEC_TASK = "0xd94b63fc2d3ec4b96daf84b403bbafdc8c8517e8e2addd51fec0fa4e67801be8"
SPEC_ENCLAVE = "0x9a43BB008b7A657e1936ebf5d8e28e5c5E021596"
SPEC_SIGNATURE = ("0x99f6b19da6aeb2133763a11204b9895c5b7d0478d08ae3d889a6bd6c820b612f"
                  "0b64b1f9ceb8472f4944da55d3b75947a04618bae5ddd57a7a2a2d14c3802b7e" "1b")
SPEC_SIGNER = "0xef678007d18427e6022059dbc264f27507cd1ffc"


def test_worker_spec_vector_recovers_its_signer() -> None:
    h = authorization_hash(SPEC_WORKER, SPEC_TASK, SPEC_ENCLAVE)

    assert recover_hash_signer(h, SPEC_SIGNATURE) == SPEC_SIGNER


def test_worker_spec_vector_through_the_wire_form() -> None:
    auth = WorkerpoolAuthorization.from_json({
        "chainTaskId": SPEC_TASK, "dealId": "0x" + "00" * 32, "taskIndex": 0, "workerWallet": SPEC_WORKER,
        "enclaveChallenge": SPEC_ENCLAVE, "signature": {"value": SPEC_SIGNATURE},
    })

    assert auth.worker_wallet == SPEC_WORKER.lower() and auth.enclave_challenge == SPEC_ENCLAVE.lower()
    assert recover_authorization_signer(auth) == SPEC_SIGNER
    # Without the enclave the hash changes, so the same signature names someone else.
    assert recover_hash_signer(authorization_hash(SPEC_WORKER, SPEC_TASK), SPEC_SIGNATURE) != SPEC_SIGNER


def test_sign_authorization_is_the_signature_poco_accepted() -> None:
    scheduler = v.account("scheduler")

    auth = sign_authorization(chain_task_id=v.TASK_ID, deal_id=v.DEAL_ID, task_index=0,
                              worker_wallet=v.WORKER.upper().replace("0X", "0x"), private_key=scheduler.key)

    assert auth.signature == v.AUTHORIZATION_SIGN  # deterministic (RFC 6979)
    assert auth.hash == v.AUTHORIZATION_HASH
    assert (auth.worker_wallet, auth.enclave_challenge) == (v.WORKER, ZERO_ADDRESS)
    assert recover_authorization_signer(auth) == v.SCHEDULER


def test_wire_round_trip() -> None:
    auth = sign_authorization(chain_task_id=v.TASK_ID, deal_id=v.DEAL_ID, task_index=3, worker_wallet=v.WORKER,
                              private_key=Account.create().key, enclave_challenge=SPEC_ENCLAVE)
    data = auth.to_json()

    assert set(data) == {"chainTaskId", "dealId", "taskIndex", "workerWallet", "enclaveChallenge", "signature"}
    assert data["signature"] == {"value": auth.signature}
    assert WorkerpoolAuthorization.from_json(data) == auth


def test_from_json_accepts_a_bare_signature_and_a_missing_enclave() -> None:
    auth = WorkerpoolAuthorization.from_json({"chainTaskId": v.TASK_ID, "dealId": v.DEAL_ID, "taskIndex": "0",
                                              "workerWallet": v.WORKER, "signature": v.AUTHORIZATION_SIGN})

    assert auth.enclave_challenge == ZERO_ADDRESS and auth.task_index == 0
    assert recover_authorization_signer(auth) == v.SCHEDULER


@pytest.mark.parametrize(("key", "bad"), [("chainTaskId", "0x1234"), ("workerWallet", "0xnothex"),
                                          ("dealId", v.WORKER), ("enclaveChallenge", v.TASK_ID)])
def test_from_json_refuses_malformed_fields(key: str, bad: str) -> None:
    data = {"chainTaskId": v.TASK_ID, "dealId": v.DEAL_ID, "taskIndex": 0, "workerWallet": v.WORKER,
            "enclaveChallenge": ZERO_ADDRESS, "signature": {"value": v.AUTHORIZATION_SIGN}}

    with pytest.raises(ValueError):
        WorkerpoolAuthorization.from_json({**data, key: bad})


def test_sign_hash_is_eip191_and_recoverable() -> None:
    account = Account.create()
    h = "0x" + "42" * 32

    signature = sign_hash(h, account.key)

    assert len(bytes.fromhex(signature[2:])) == 65 and signature[-2:] in ("1b", "1c")
    assert recover_hash_signer(h, signature) == account.address.lower()
    assert recover_hash_signer("0x" + "43" * 32, signature) != account.address.lower()


@pytest.mark.parametrize("garbage", ["0x", "0x1234", "zz", "0x" + "00" * 65])
def test_malformed_signature_recovers_none(garbage: str) -> None:
    assert recover_hash_signer("0x" + "42" * 32, garbage) is None


def test_forged_signature_recovers_the_forger_not_the_owner() -> None:
    forger = v.account("forger")
    auth = sign_authorization(chain_task_id=v.TASK_ID, deal_id=v.DEAL_ID, task_index=0, worker_wallet=v.WORKER,
                              private_key=forger.key)

    assert recover_authorization_signer(auth) == forger.address.lower() != v.SCHEDULER
