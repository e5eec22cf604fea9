"""Pure parts of the transaction layer: revert reason decoding."""

from __future__ import annotations

from eth_abi.abi import encode
from web3.exceptions import ContractLogicError, Web3RPCError

from workerpool.chain.tx import revert_reason


def _error_string(reason: str) -> str:
    return "0x08c379a0" + encode(["string"], [reason]).hex()


def test_require_string_from_hardhat_style_dict() -> None:
    error = ContractLogicError(
        "execution reverted: VM Exception ...",
        data={"message": "m", "data": _error_string("iExecV5-matchOrders-0x21")},
    )
    assert revert_reason(error) == "iExecV5-matchOrders-0x21"


def test_require_string_from_plain_data() -> None:
    assert (
        revert_reason(ContractLogicError("x", data=_error_string("already-configured")))
        == "already-configured"
    )


def test_bare_revert() -> None:
    assert (
        revert_reason(ContractLogicError("execution reverted", data={"message": "m", "data": "0x"}))
        == "no reason"
    )


def test_panic() -> None:
    data = "0x4e487b71" + encode(["uint256"], [0x11]).hex()
    assert revert_reason(ContractLogicError("x", data=data)) == "panic 0x11"


def test_unknown_custom_error_selector() -> None:
    assert revert_reason(ContractLogicError("x", data="0xdeadbeef")) == "custom error 0xdeadbeef"


def test_no_data_falls_back_to_message() -> None:
    assert revert_reason(ContractLogicError("execution reverted: boom", data=None)) == "boom"


def test_rpc_error_message() -> None:
    assert revert_reason(Web3RPCError("nonce too low")) == "nonce too low"
