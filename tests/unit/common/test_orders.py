"""PoCo orders and their EIP-712 typed data (poco-spec §2.1-2.2)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from tests.unit.common import vectors as v
from workerpool.common.orders import (
    AppOrder,
    DatasetOrder,
    Domain,
    RequestOrder,
    WorkerpoolOrder,
    deal_id,
    new_salt,
    order_hash,
    recover_order_signer,
    sign_order,
)

#: Type hashes of poco-spec §2.2 (verified there against the contract constants).
TYPE_HASHES = {
    AppOrder: "0x60815a0eeec47dddf1615fe53b31d016c31444e01b9d796db365443a6445d008",
    WorkerpoolOrder: "0xaa3429fb281b34691803133d3d978a75bb77c617ed6bc9aa162b9b30920022bb",
    RequestOrder: "0xf24e853034a3a450aba845a82914fbb564ad85accca6cf62be112a154520fae0",
    DatasetOrder: "0x6cfc932a5a3d22c4359295b9f433edff52b60703fa47690a04a83e40933dd47c",
}
DOMAIN_TYPE_HASH = "0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f"


def _type_string(cls: Any) -> str:
    return f"{cls.TYPE_NAME}({','.join(f'{kind} {name}' for name, kind in cls.TYPES)})"


def _hash_struct(order: Any) -> bytes:
    """Independent EIP-712 hashStruct: every field one word, ``string`` replaced by its keccak."""
    kinds, values = ["bytes32"], [keccak(text=_type_string(type(order)))]
    for name, kind in order.TYPES:
        value = getattr(order, name)
        if kind == "string":
            kinds.append("bytes32")
            values.append(keccak(text=value))
        elif kind == "bytes32":
            kinds.append("bytes32")
            values.append(bytes.fromhex(value[2:]))
        else:
            kinds.append(kind)
            values.append(value)
    return keccak(encode(kinds, values))


def _domain_separator(domain: Domain) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                         [bytes.fromhex(DOMAIN_TYPE_HASH[2:]), keccak(text=domain.name),
                          keccak(text=domain.version), domain.chain_id, domain.hub]))


@pytest.mark.parametrize("cls", list(TYPE_HASHES), ids=lambda c: c.__name__)
def test_type_hash_of_each_order_matches_poco(cls: Any) -> None:
    assert "0x" + keccak(text=_type_string(cls)).hex() == TYPE_HASHES[cls]


def test_domain_defaults_are_poco_v5() -> None:
    domain = v.domain()

    assert (domain.name, domain.version) == ("iExecODB", "5.0.0")
    assert domain.as_dict() == {"name": "iExecODB", "version": "5.0.0", "chainId": 31337,
                                "verifyingContract": v.HUB}
    assert "0x" + keccak(text="EIP712Domain(string name,string version,uint256 chainId,"
                                   "address verifyingContract)").hex() == DOMAIN_TYPE_HASH


@pytest.mark.parametrize(
    ("build", "pinned"),
    [(v.app_order, v.APP_ORDER_HASH), (v.workerpool_order, v.WORKERPOOL_ORDER_HASH),
     (v.request_order, v.REQUEST_ORDER_HASH)],
    ids=["app", "workerpool", "request"],
)
def test_order_hash_is_the_value_the_hub_consumed(build: Any, pinned: str) -> None:
    order = build()

    assert order_hash(order, v.domain()) == pinned
    independent = keccak(b"\x19\x01" + _domain_separator(v.domain()) + _hash_struct(order))
    assert "0x" + independent.hex() == pinned


def test_order_hash_depends_on_domain_and_fields_but_not_on_sign() -> None:
    order = v.app_order()
    base = order_hash(order, v.domain())

    assert order_hash(replace(order, sign="0x" + "ab" * 65), v.domain()) == base
    assert order_hash(replace(order, appprice=6), v.domain()) != base
    assert order_hash(order, Domain(chain_id=1, hub=v.HUB)) != base
    assert order_hash(order, Domain(chain_id=v.CHAIN_ID, hub="0x" + "00" * 19 + "01")) != base


def test_dataset_order_hash_matches_the_independent_computation() -> None:
    order = DatasetOrder(dataset="0x" + "12" * 20, datasetprice=7, volume=3, salt="0x" + "34" * 32)

    assert order_hash(order, v.domain()) == "0x" + keccak(
        b"\x19\x01" + _domain_separator(v.domain()) + _hash_struct(order)).hex()


def test_deal_id_is_keccak_of_request_hash_and_consumed_before() -> None:
    assert deal_id(v.REQUEST_ORDER_HASH, 0) == v.DEAL_ID
    assert deal_id(v.REQUEST_ORDER_HASH) == v.DEAL_ID
    assert deal_id(v.REQUEST_ORDER_HASH, 3) == "0x" + keccak(
        bytes.fromhex(v.REQUEST_ORDER_HASH[2:]) + (3).to_bytes(32, "big")).hex()


def test_sign_then_recover_gives_the_signer() -> None:
    requester = v.account("requester")

    signed = sign_order(v.request_order(), v.domain(), requester.key)

    assert len(bytes.fromhex(signed.sign[2:])) == 65 and signed.sign[-2:] in ("1b", "1c")  # v = 27/28
    assert recover_order_signer(signed, v.domain()) == requester.address.lower()
    assert replace(signed, sign="0x") == v.request_order()  # signing changes nothing else


def test_recover_on_a_tampered_order_is_someone_else() -> None:
    requester = v.account("requester")
    signed = sign_order(v.request_order(), v.domain(), requester.key)

    assert recover_order_signer(replace(signed, params="{}"), v.domain()) != requester.address.lower()
    assert recover_order_signer(signed, Domain(chain_id=1, hub=v.HUB)) != requester.address.lower()


def test_json_round_trip_and_unknown_keys_ignored() -> None:
    signed = sign_order(v.workerpool_order(), v.domain(), Account.create().key)
    data = signed.to_json()

    assert data["workerpool"] == v.WORKERPOOL and data["trust"] == v.TRUST and data["sign"] == signed.sign
    assert WorkerpoolOrder.from_json(data) == signed
    assert WorkerpoolOrder.from_json({**data, "orderHash": "0x00", "remaining": 1}) == signed


def test_as_tuple_is_the_abi_order_with_sign_last() -> None:
    order = sign_order(v.app_order(), v.domain(), v.account("app-owner").key)

    values = order.as_tuple()

    assert len(values) == len(AppOrder.TYPES) + 1
    assert values[0] == to_checksum_address(v.APP)
    assert values[1:3] == (5, 1)
    assert values[3] == b"\x00" * 32 and values[7] == bytes.fromhex(order.salt[2:])
    assert values[-1] == bytes.fromhex(order.sign[2:])
    assert DatasetOrder().as_tuple()[-1] == b""  # the empty dataset order carries an empty sign


def test_defaults_and_salts() -> None:
    assert new_salt() != new_salt() and len(new_salt()) == 66
    assert AppOrder().salt != AppOrder().salt  # otherwise identical orders differ
    assert DatasetOrder().volume == 0 and DatasetOrder().salt == "0x" + "00" * 32
    assert RequestOrder().params == "" and WorkerpoolOrder().volume == 1
