"""PoCo orders and their EIP-712 typed data (spec/poco-spec.md §2.1–2.2).

Domain: name "iExecODB", version "5.0.0", the chain id and the hub address. The order hash is the full
typed-data digest, the key PoCo uses everywhere (consumed volume, presign, deal id).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from .hashing import ZERO_ADDRESS, ZERO_BYTES32, keccak_hex

__all__ = [
    "Domain",
    "AppOrder",
    "DatasetOrder",
    "WorkerpoolOrder",
    "RequestOrder",
    "order_hash",
    "sign_order",
    "recover_order_signer",
    "deal_id",
    "new_salt",
]

_ADDRESS, _UINT, _BYTES32, _STRING = "address", "uint256", "bytes32", "string"


@dataclass(frozen=True)
class Domain:
    """EIP-712 domain of the PoCo hub."""

    chain_id: int
    hub: str
    name: str = "iExecODB"
    version: str = "5.0.0"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "chainId": self.chain_id,
                "verifyingContract": self.hub}


def new_salt() -> str:
    """A random bytes32 salt: makes otherwise identical orders distinct."""
    return "0x" + os.urandom(32).hex()


@dataclass(frozen=True)
class _Order:
    """Common behaviour: field order = ABI and EIP-712 order; ``sign`` is not part of the signed struct."""

    TYPE_NAME: ClassVar[str] = ""
    TYPES: ClassVar[tuple[tuple[str, str], ...]] = ()

    def message(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, _ in self.TYPES}

    def as_tuple(self) -> tuple[Any, ...]:
        """ABI tuple for contract calls (sign included, as bytes)."""
        values = [_abi_value(kind, getattr(self, name)) for name, kind in self.TYPES]
        return (*values, bytes.fromhex(self.sign.removeprefix("0x")))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Any:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    sign: str = "0x"


def _abi_value(kind: str, value: Any) -> Any:
    if kind == _BYTES32:
        return bytes.fromhex(str(value).removeprefix("0x"))
    if kind == _ADDRESS:
        from eth_utils import to_checksum_address

        return to_checksum_address(value)
    return value


@dataclass(frozen=True)
class AppOrder(_Order):
    TYPE_NAME: ClassVar[str] = "AppOrder"
    TYPES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("app", _ADDRESS), ("appprice", _UINT), ("volume", _UINT), ("tag", _BYTES32),
        ("datasetrestrict", _ADDRESS), ("workerpoolrestrict", _ADDRESS), ("requesterrestrict", _ADDRESS),
        ("salt", _BYTES32),
    )
    app: str = ZERO_ADDRESS
    appprice: int = 0
    volume: int = 1
    tag: str = ZERO_BYTES32
    datasetrestrict: str = ZERO_ADDRESS
    workerpoolrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    salt: str = field(default_factory=new_salt)
    sign: str = "0x"


@dataclass(frozen=True)
class DatasetOrder(_Order):
    TYPE_NAME: ClassVar[str] = "DatasetOrder"
    TYPES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("dataset", _ADDRESS), ("datasetprice", _UINT), ("volume", _UINT), ("tag", _BYTES32),
        ("apprestrict", _ADDRESS), ("workerpoolrestrict", _ADDRESS), ("requesterrestrict", _ADDRESS),
        ("salt", _BYTES32),
    )
    dataset: str = ZERO_ADDRESS
    datasetprice: int = 0
    volume: int = 0
    tag: str = ZERO_BYTES32
    apprestrict: str = ZERO_ADDRESS
    workerpoolrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    salt: str = ZERO_BYTES32
    sign: str = "0x"


@dataclass(frozen=True)
class WorkerpoolOrder(_Order):
    TYPE_NAME: ClassVar[str] = "WorkerpoolOrder"
    TYPES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("workerpool", _ADDRESS), ("workerpoolprice", _UINT), ("volume", _UINT), ("tag", _BYTES32),
        ("category", _UINT), ("trust", _UINT), ("apprestrict", _ADDRESS), ("datasetrestrict", _ADDRESS),
        ("requesterrestrict", _ADDRESS), ("salt", _BYTES32),
    )
    workerpool: str = ZERO_ADDRESS
    workerpoolprice: int = 0
    volume: int = 1
    tag: str = ZERO_BYTES32
    category: int = 0
    trust: int = 0
    apprestrict: str = ZERO_ADDRESS
    datasetrestrict: str = ZERO_ADDRESS
    requesterrestrict: str = ZERO_ADDRESS
    salt: str = field(default_factory=new_salt)
    sign: str = "0x"


@dataclass(frozen=True)
class RequestOrder(_Order):
    TYPE_NAME: ClassVar[str] = "RequestOrder"
    TYPES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("app", _ADDRESS), ("appmaxprice", _UINT), ("dataset", _ADDRESS), ("datasetmaxprice", _UINT),
        ("workerpool", _ADDRESS), ("workerpoolmaxprice", _UINT), ("requester", _ADDRESS), ("volume", _UINT),
        ("tag", _BYTES32), ("category", _UINT), ("trust", _UINT), ("beneficiary", _ADDRESS),
        ("callback", _ADDRESS), ("params", _STRING), ("salt", _BYTES32),
    )
    app: str = ZERO_ADDRESS
    appmaxprice: int = 0
    dataset: str = ZERO_ADDRESS
    datasetmaxprice: int = 0
    workerpool: str = ZERO_ADDRESS
    workerpoolmaxprice: int = 0
    requester: str = ZERO_ADDRESS
    volume: int = 1
    tag: str = ZERO_BYTES32
    category: int = 0
    trust: int = 0
    beneficiary: str = ZERO_ADDRESS
    callback: str = ZERO_ADDRESS
    params: str = ""
    salt: str = field(default_factory=new_salt)
    sign: str = "0x"


def _typed_data(order: _Order, domain: Domain) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
            ],
            order.TYPE_NAME: [{"name": n, "type": t} for n, t in order.TYPES],
        },
        "primaryType": order.TYPE_NAME,
        "domain": domain.as_dict(),
        "message": order.message(),
    }


def order_hash(order: _Order, domain: Domain) -> str:
    """Full EIP-712 digest of the order: PoCo's order hash."""
    signable = encode_typed_data(full_message=_typed_data(order, domain))
    return "0x" + _hash_eip191_message(signable).hex()


def sign_order(order: Any, domain: Domain, private_key: Any) -> Any:
    """Return a copy of ``order`` carrying the EIP-712 signature of ``private_key`` (65 bytes, v = 27/28)."""
    from dataclasses import replace

    signable = encode_typed_data(full_message=_typed_data(order, domain))
    signed = Account.sign_message(signable, private_key)
    return replace(order, sign="0x" + bytes(signed.signature).hex())


def recover_order_signer(order: _Order, domain: Domain) -> str:
    """Address that signed the order (lowercase)."""
    signable = encode_typed_data(full_message=_typed_data(order, domain))
    return str(Account.recover_message(signable, signature=bytes.fromhex(order.sign.removeprefix("0x")))).lower()


def deal_id(request_order_hash: str, consumed_before: int = 0) -> str:
    """``dealid = keccak(requestOrderHash ‖ uint256(consumed before the match))``."""
    return keccak_hex(bytes.fromhex(request_order_hash.removeprefix("0x")) + consumed_before.to_bytes(32, "big"))
