"""PoCo hash formulas (spec/poco-spec.md §3, §6), pure functions over hex strings.

Every value is a ``0x``-prefixed lowercase hex string: bytes32 = 64 hex chars, address = 40.
"""

from __future__ import annotations

from eth_utils import keccak, to_bytes

__all__ = [
    "ZERO_ADDRESS",
    "ZERO_BYTES32",
    "keccak_hex",
    "task_id",
    "result_hash",
    "result_seal",
    "authorization_hash",
    "normalize_address",
    "normalize_bytes32",
]

ZERO_ADDRESS = "0x" + "00" * 20
ZERO_BYTES32 = "0x" + "00" * 32


def _b(value: str, size: int, what: str) -> bytes:
    raw = to_bytes(hexstr=value)
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes, got {len(raw)}: {value!r}")
    return raw


def keccak_hex(data: bytes) -> str:
    """keccak256 of raw bytes, as 0x-hex."""
    return "0x" + keccak(data).hex()


def normalize_address(address: str) -> str:
    """Lowercase 0x form of a 20-byte address (raises ValueError on anything else)."""
    return "0x" + _b(address, 20, "address").hex()


def normalize_bytes32(value: str) -> str:
    """Lowercase 0x form of a bytes32 (raises ValueError on anything else)."""
    return "0x" + _b(value, 32, "bytes32").hex()


def task_id(deal_id: str, index: int) -> str:
    """``taskid = keccak(dealid ‖ uint256(idx))`` with idx the absolute index in the bag of tasks."""
    return keccak_hex(_b(deal_id, 32, "deal id") + index.to_bytes(32, "big"))


def result_hash(chain_task_id: str, result_digest: str) -> str:
    """``resultHash = keccak(taskid ‖ resultDigest)``: the public vote, equal for honest workers."""
    return keccak_hex(_b(chain_task_id, 32, "task id") + _b(result_digest, 32, "result digest"))


def result_seal(worker: str, chain_task_id: str, result_digest: str) -> str:
    """``resultSeal = keccak(worker ‖ taskid ‖ resultDigest)``: per-worker proof of knowledge."""
    return keccak_hex(
        _b(worker, 20, "worker address") + _b(chain_task_id, 32, "task id") + _b(result_digest, 32, "digest")
    )


def authorization_hash(worker: str, chain_task_id: str, enclave_challenge: str = ZERO_ADDRESS) -> str:
    """``keccak(worker ‖ taskid ‖ enclaveChallenge)``, signed EIP-191 by the workerpool owner."""
    return keccak_hex(
        _b(worker, 20, "worker address")
        + _b(chain_task_id, 32, "task id")
        + _b(enclave_challenge, 20, "enclave challenge")
    )
