"""Typed client of the PoCo hub (the Diamond): reads, transactions and event look-ups.

Cost notes (Hardhat on loopback, measured in spec/poco-deploy-notes.md §5): a view is one ``eth_call``
(~1–3 ms); a transaction is estimate + send + receipt (~15–30 ms with automine).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from eth_utils import keccak, to_checksum_address
from web3.logs import DISCARD

from workerpool.common.errors import ChainError, TransactionFailed
from workerpool.common.hashing import ZERO_ADDRESS, normalize_address
from workerpool.common.orders import AppOrder, DatasetOrder, RequestOrder, WorkerpoolOrder

from .artifacts import hub_abi
from .models import ChainApp, ChainCategory, ChainContribution, ChainDeal, ChainTask

if TYPE_CHECKING:
    from web3 import Web3

    from .tx import TxReceipt, TxSender

__all__ = ["PocoClient", "EVENT_TOPICS", "CONTRIBUTE_GAS", "REVEAL_GAS"]

log = logging.getLogger(__name__)


#: Fixed gas limits of the worker's transactions, as the iExec worker sends them (worker-spec §6.3): no
#: eth_estimateGas round trip, and a reverting call is still mined, so its receipt can be reported.
CONTRIBUTE_GAS = 500_000
#: See CONTRIBUTE_GAS; 150,000 leaves room above the iExec worker's 100,000 for PoCo v6 reveal paths.
REVEAL_GAS = 150_000


def _topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


#: topic0 of the hub events we look up.
EVENT_TOPICS = {
    "SchedulerNotice": _topic("SchedulerNotice(address,bytes32)"),
    "TaskInitialize": _topic("TaskInitialize(bytes32,address)"),
    "TaskContribute": _topic("TaskContribute(bytes32,address,bytes32)"),
    "TaskConsensus": _topic("TaskConsensus(bytes32,bytes32)"),
    "TaskReveal": _topic("TaskReveal(bytes32,address,bytes32)"),
    "TaskFinalize": _topic("TaskFinalize(bytes32,bytes)"),
    "TaskClaimed": _topic("TaskClaimed(bytes32)"),
}


def _b32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _pad_address(address: str) -> str:
    return "0x" + "00" * 12 + normalize_address(address).removeprefix("0x")


class PocoClient:
    """PoCo hub client. Reads need only ``w3``; transactions need a ``sender`` (the caller's wallet)."""

    def __init__(self, w3: Web3, hub: str, *, sender: TxSender | None = None):
        self.w3 = w3
        self.hub = normalize_address(hub)
        self.sender = sender
        self.contract = w3.eth.contract(address=to_checksum_address(hub), abi=hub_abi())

    def with_sender(self, sender: TxSender) -> PocoClient:
        return PocoClient(self.w3, self.hub, sender=sender)

    # ---- reads -------------------------------------------------------------------------------------------
    def _call(self, fn: str, *args: Any) -> Any:
        try:
            return getattr(self.contract.functions, fn)(*args).call()
        except Exception as e:  # web3 raises many types; one clear boundary error
            raise ChainError(f"PoCo view {fn} failed on hub {self.hub}: {e}") from e

    def view_deal(self, deal_id: str) -> ChainDeal:
        return ChainDeal.from_abi(deal_id.lower(), self._call("viewDeal", _b32(deal_id)))

    def view_task(self, task_id: str) -> ChainTask:
        return ChainTask.from_abi(task_id.lower(), self._call("viewTask", _b32(task_id)))

    def view_contribution(self, task_id: str, worker: str) -> ChainContribution:
        raw = self._call("viewContribution", _b32(task_id), to_checksum_address(worker))
        return ChainContribution.from_abi(raw)

    def view_account(self, address: str) -> tuple[int, int]:
        """(free stake, locked) in nRLC."""
        raw = self._call("viewAccount", to_checksum_address(address))
        return int(raw[0]), int(raw[1])

    def view_score(self, worker: str) -> int:
        return int(self._call("viewScore", to_checksum_address(worker)))

    def view_category(self, index: int) -> ChainCategory:
        raw = self._call("viewCategory", index)
        return ChainCategory(index=index, name=raw[0], description=raw[1], work_clock_time_ref_s=int(raw[2]))

    def count_category(self) -> int:
        return int(self._call("countCategory"))

    def view_app(self, app: str) -> ChainApp:
        return ChainApp.from_abi(app, self._call("viewApp", to_checksum_address(app)))

    def workerpool_owner(self, workerpool: str) -> str:
        return str(self._call("viewWorkerpool", to_checksum_address(workerpool))[0]).lower()

    def view_consumed(self, order_hash: str) -> int:
        return int(self._call("viewConsumed", _b32(order_hash)))

    def block_number(self) -> int:
        try:
            return int(self.w3.eth.block_number)
        except Exception as e:
            raise ChainError(f"cannot read the latest block: {e}") from e

    def latest_timestamp(self) -> int:
        try:
            return int(self.w3.eth.get_block("latest")["timestamp"])
        except Exception as e:
            raise ChainError(f"cannot read the latest block: {e}") from e

    # ---- transactions ------------------------------------------------------------------------------------
    def _send(self, fn: str, args: list[Any], *, description: str, gas: int | None = None) -> TxReceipt:
        if self.sender is None:
            raise ChainError(f"PoCo {fn} needs a wallet: this client is read-only")
        data = self.contract.encode_abi(fn, args=args)
        return self.sender.send(self.hub, data, gas=gas, description=description)

    def initialize(self, deal_id: str, index: int) -> TxReceipt:
        return self._send("initialize", [_b32(deal_id), index], description=f"initialize deal={deal_id} idx={index}")

    def contribute(self, task_id: str, result_hash: str, result_seal: str, authorization_sign: str, *,
                   enclave_challenge: str = ZERO_ADDRESS, enclave_sign: str = "0x",
                   gas: int | None = CONTRIBUTE_GAS) -> TxReceipt:
        """Send ``contribute``; ``gas=None`` estimates instead (a reverting call is then not sent at all)."""
        args = [_b32(task_id), _b32(result_hash), _b32(result_seal), to_checksum_address(enclave_challenge),
                _b32(enclave_sign), _b32(authorization_sign)]
        return self._send("contribute", args, description=f"contribute task={task_id}", gas=gas)

    def reveal(self, task_id: str, result_digest: str, *, gas: int | None = REVEAL_GAS) -> TxReceipt:
        """Send ``reveal``; ``gas=None`` estimates instead (a reverting call is then not sent at all)."""
        return self._send("reveal", [_b32(task_id), _b32(result_digest)], description=f"reveal task={task_id}",
                          gas=gas)

    def finalize(self, task_id: str, results: bytes, results_callback: bytes = b"") -> TxReceipt:
        return self._send("finalize", [_b32(task_id), results, results_callback],
                          description=f"finalize task={task_id}")

    def contribute_and_finalize(self, task_id: str, result_digest: str, results: bytes, authorization_sign: str,
                                *, results_callback: bytes = b"", enclave_challenge: str = ZERO_ADDRESS,
                                enclave_sign: str = "0x") -> TxReceipt:
        args = [_b32(task_id), _b32(result_digest), results, results_callback,
                to_checksum_address(enclave_challenge), _b32(enclave_sign), _b32(authorization_sign)]
        return self._send("contributeAndFinalize", args, description=f"contributeAndFinalize task={task_id}")

    def reopen(self, task_id: str) -> TxReceipt:
        return self._send("reopen", [_b32(task_id)], description=f"reopen task={task_id}")

    def claim(self, task_id: str) -> TxReceipt:
        return self._send("claim", [_b32(task_id)], description=f"claim task={task_id}")

    def initialize_and_claim(self, deal_id: str, index: int) -> TxReceipt:
        """Initialize an UNSET task past its final deadline and claim it at once (refunds the requester)."""
        return self._send("initializeAndClaimArray", [[_b32(deal_id)], [index]],
                          description=f"initializeAndClaim deal={deal_id} idx={index}")

    def match_orders(self, app: AppOrder, dataset: DatasetOrder, workerpool: WorkerpoolOrder,
                     request: RequestOrder) -> tuple[str, TxReceipt]:
        """Match the four orders; returns (deal id, receipt). Reverts carry PoCo's coded reason."""
        receipt = self._send("matchOrders", [app.as_tuple(), dataset.as_tuple(), workerpool.as_tuple(),
                                             request.as_tuple()], description="matchOrders")
        events = self.contract.events.OrdersMatched().process_receipt(receipt.raw, errors=DISCARD)
        if not events:
            raise TransactionFailed("matchOrders mined without an OrdersMatched event", tx_hash=receipt.tx_hash)
        return "0x" + bytes(events[0]["args"]["dealid"]).hex(), receipt

    # ---- events ------------------------------------------------------------------------------------------
    def _logs(self, topics: list[str | None], from_block: int, to_block: int | str = "latest") -> list[Any]:
        try:
            return list(self.w3.eth.get_logs({"address": to_checksum_address(self.hub), "fromBlock": from_block,
                                              "toBlock": to_block, "topics": topics}))
        except Exception as e:
            raise ChainError(f"eth_getLogs failed on hub {self.hub}: {e}") from e

    def scheduler_notices(self, workerpool: str, from_block: int, to_block: int) -> list[tuple[str, int]]:
        """Deals of ``workerpool`` matched in [from_block, to_block]: list of (deal id, block number)."""
        logs = self._logs([EVENT_TOPICS["SchedulerNotice"], _pad_address(workerpool)], from_block, to_block)
        return [("0x" + bytes(entry["data"]).hex()[-64:], int(entry["blockNumber"])) for entry in logs]

    def task_event_block(self, event: str, task_id: str, from_block: int = 0, worker: str | None = None,
                         *, latest: bool = False) -> int | None:
        """Block of the first (or ``latest``) ``event`` log for ``task_id`` (optionally for one worker), or None."""
        topics: list[str | None] = [EVENT_TOPICS[event], "0x" + task_id.removeprefix("0x").lower()]
        if worker is not None:
            topics.append(_pad_address(worker))
        logs = self._logs(topics, from_block)
        return int(logs[-1 if latest else 0]["blockNumber"]) if logs else None

    @staticmethod
    def receipt_has_event(receipt: TxReceipt, event: str, task_id: str) -> bool:
        """Does the receipt hold ``event`` for ``task_id``? (success test of worker transactions)."""
        topic0 = EVENT_TOPICS[event]
        wanted = task_id.removeprefix("0x").lower()
        for entry in receipt.raw["logs"]:
            topics = ["0x" + bytes(t).hex() for t in entry["topics"]]
            if topics and topics[0] == topic0 and len(topics) > 1 and topics[1].removeprefix("0x") == wanted:
                return True
        return False
