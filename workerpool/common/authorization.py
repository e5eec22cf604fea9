"""WorkerpoolAuthorization: the scheduler's permission for one worker to contribute to one task.

Signed EIP-191 (personal-sign) over ``keccak(worker ‖ taskid ‖ enclaveChallenge)``, exactly what PoCo's
``contribute`` verifies against the workerpool owner recorded in the deal (spec/poco-spec.md §3.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from .hashing import ZERO_ADDRESS, authorization_hash, normalize_address, normalize_bytes32

__all__ = ["WorkerpoolAuthorization", "sign_authorization", "recover_authorization_signer", "sign_hash",
           "recover_hash_signer"]


@dataclass(frozen=True)
class WorkerpoolAuthorization:
    chain_task_id: str
    deal_id: str
    task_index: int
    worker_wallet: str
    enclave_challenge: str
    signature: str

    @property
    def hash(self) -> str:
        return authorization_hash(self.worker_wallet, self.chain_task_id, self.enclave_challenge)

    def to_json(self) -> dict[str, Any]:
        return {"chainTaskId": self.chain_task_id, "dealId": self.deal_id, "taskIndex": self.task_index,
                "workerWallet": self.worker_wallet, "enclaveChallenge": self.enclave_challenge,
                "signature": {"value": self.signature}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkerpoolAuthorization:
        """Parse the wire form; raises ValueError on malformed fields."""
        signature = data["signature"]
        value = signature["value"] if isinstance(signature, dict) else signature
        return cls(
            chain_task_id=normalize_bytes32(data["chainTaskId"]),
            deal_id=normalize_bytes32(data["dealId"]),
            task_index=int(data["taskIndex"]),
            worker_wallet=normalize_address(data["workerWallet"]),
            enclave_challenge=normalize_address(data.get("enclaveChallenge") or ZERO_ADDRESS),
            signature=str(value),
        )


def sign_hash(hash_hex: str, private_key: Any) -> str:
    """EIP-191 personal-sign of a 32-byte hash; 65 bytes r‖s‖v as 0x-hex."""
    signed = Account.sign_message(encode_defunct(hexstr=hash_hex), private_key)
    return "0x" + bytes(signed.signature).hex()


def recover_hash_signer(hash_hex: str, signature: str) -> str | None:
    """Signer of an EIP-191 signature over a 32-byte hash, or None if the signature is malformed."""
    try:
        address = Account.recover_message(encode_defunct(hexstr=hash_hex), signature=signature)
    except Exception:  # malformed signature bytes: a value, not an error
        return None
    return str(address).lower()


def sign_authorization(*, chain_task_id: str, deal_id: str, task_index: int, worker_wallet: str,
                       private_key: Any, enclave_challenge: str = ZERO_ADDRESS) -> WorkerpoolAuthorization:
    """Build and sign the authorization for ``worker_wallet`` on ``chain_task_id``."""
    worker = normalize_address(worker_wallet)
    h = authorization_hash(worker, chain_task_id, enclave_challenge)
    return WorkerpoolAuthorization(
        chain_task_id=normalize_bytes32(chain_task_id), deal_id=normalize_bytes32(deal_id),
        task_index=task_index, worker_wallet=worker, enclave_challenge=normalize_address(enclave_challenge),
        signature=sign_hash(h, private_key),
    )


def recover_authorization_signer(auth: WorkerpoolAuthorization) -> str | None:
    """Who signed this authorization (lowercase), None if the signature is malformed."""
    return recover_hash_signer(auth.hash, auth.signature)
