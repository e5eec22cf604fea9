"""PoCo hash formulas (poco-spec §3.1, §3.3, §6): pinned on-chain values and an independent keccak."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st
from web3 import Web3

from tests.unit.common import vectors as v
from workerpool.common.hashing import (
    ZERO_ADDRESS,
    ZERO_BYTES32,
    authorization_hash,
    keccak_hex,
    normalize_address,
    normalize_bytes32,
    result_hash,
    result_seal,
    task_id,
)

bytes32s = st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
addresses = st.binary(min_size=20, max_size=20).map(lambda b: Web3.to_checksum_address("0x" + b.hex()))


def test_values_computed_on_the_genuine_poco() -> None:
    assert task_id(v.DEAL_ID, 0) == v.TASK_ID
    assert result_hash(v.TASK_ID, v.RESULT_DIGEST) == v.RESULT_HASH
    assert result_seal(v.WORKER, v.TASK_ID, v.RESULT_DIGEST) == v.RESULT_SEAL
    assert authorization_hash(v.WORKER, v.TASK_ID) == v.AUTHORIZATION_HASH


def test_task_index_is_part_of_the_task_id() -> None:
    assert task_id(v.DEAL_ID, 1) != task_id(v.DEAL_ID, 0)
    assert task_id(v.DEAL_ID, 1) == keccak_hex(bytes.fromhex(v.DEAL_ID[2:]) + (1).to_bytes(32, "big"))


def test_seal_depends_on_the_worker_but_the_hash_does_not() -> None:
    other = "0x" + "11" * 20

    assert result_seal(other, v.TASK_ID, v.RESULT_DIGEST) != v.RESULT_SEAL
    assert result_hash(v.TASK_ID, v.RESULT_DIGEST) == v.RESULT_HASH  # the vote is the same for everyone


def test_authorization_hash_defaults_to_the_zero_enclave() -> None:
    assert authorization_hash(v.WORKER, v.TASK_ID, ZERO_ADDRESS) == v.AUTHORIZATION_HASH
    assert authorization_hash(v.WORKER, v.TASK_ID, "0x" + "01" * 20) != v.AUTHORIZATION_HASH


@given(deal=bytes32s, index=st.integers(min_value=0, max_value=2**256 - 1))
def test_task_id_matches_solidity_packed_keccak(deal: str, index: int) -> None:
    assert task_id(deal, index) == "0x" + bytes(Web3.solidity_keccak(["bytes32", "uint256"], [deal, index])).hex()


@given(worker=addresses, task=bytes32s, digest=bytes32s, enclave=addresses)
def test_formulas_match_solidity_packed_keccak(worker: str, task: str, digest: str, enclave: str) -> None:
    def packed(types: list[str], values: list[str]) -> str:
        return "0x" + bytes(Web3.solidity_keccak(types, values)).hex()

    assert result_hash(task, digest) == packed(["bytes32", "bytes32"], [task, digest])
    assert result_seal(worker, task, digest) == packed(["address", "bytes32", "bytes32"], [worker, task, digest])
    assert authorization_hash(worker, task, enclave) == packed(["address", "bytes32", "address"],
                                                               [worker, task, enclave])


def test_outputs_are_lowercase_0x_hex() -> None:
    upper_deal = "0x" + v.DEAL_ID[2:].upper()

    assert task_id(upper_deal, 0) == v.TASK_ID
    assert keccak_hex(b"") == "0x" + keccak(b"").hex()
    assert keccak_hex(b"").startswith("0x") and len(keccak_hex(b"")) == 66


def test_normalize_lowercases_and_keeps_size() -> None:
    checksummed = Web3.to_checksum_address(v.WORKER)

    assert normalize_address(checksummed) == v.WORKER
    assert normalize_address(v.WORKER[2:]) == v.WORKER  # no 0x prefix is accepted
    assert normalize_bytes32(v.TASK_ID.upper().replace("0X", "0x")) == v.TASK_ID
    assert ZERO_ADDRESS == "0x" + "00" * 20 and ZERO_BYTES32 == "0x" + "00" * 32


@pytest.mark.parametrize("bad", ["0x123", "", "0x" + "00" * 21, "0x" + "00" * 19, "0xzz" + "00" * 19, "hello"])
def test_normalize_address_refuses_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_address(bad)


@pytest.mark.parametrize("bad", ["0x" + "00" * 31, "0x" + "00" * 33, "0x" + "g" * 64, v.WORKER])
def test_normalize_bytes32_refuses_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_bytes32(bad)


def test_formulas_refuse_wrong_sizes_and_name_the_field() -> None:
    short = "0x" + "00" * 31
    with pytest.raises(ValueError, match="deal id"):
        task_id(short, 0)
    with pytest.raises(ValueError, match="result digest"):
        result_hash(v.TASK_ID, short)
    with pytest.raises(ValueError, match="task id"):
        result_hash(short, v.RESULT_DIGEST)
    with pytest.raises(ValueError, match="worker address"):
        result_seal(v.TASK_ID, v.TASK_ID, v.RESULT_DIGEST)
    with pytest.raises(ValueError, match="enclave challenge"):
        authorization_hash(v.WORKER, v.TASK_ID, ZERO_BYTES32)
