"""Plain, typed views of PoCo on-chain records (spec/poco-spec.md §2.6, §3.1, §7.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus

__all__ = ["ChainDeal", "ChainTask", "ChainContribution", "ChainApp", "ChainCategory", "TEE_TAG_BIT"]

#: Bit 0 of a tag asks for a TEE.
TEE_TAG_BIT = 1


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _addr(value: str) -> str:
    return str(value).lower()


@dataclass(frozen=True)
class ChainDeal:
    deal_id: str
    app: str
    app_owner: str
    app_price: int
    dataset: str
    dataset_price: int
    workerpool: str
    workerpool_owner: str
    workerpool_price: int
    trust: int
    category: int
    tag: str
    requester: str
    beneficiary: str
    callback: str
    params: str
    start_time: int
    bot_first: int
    bot_size: int
    worker_stake: int
    scheduler_reward_ratio: int

    @classmethod
    def from_abi(cls, deal_id: str, raw: Any) -> ChainDeal:
        app, dataset, pool = raw[0], raw[1], raw[2]
        return cls(
            deal_id=deal_id, app=_addr(app[0]), app_owner=_addr(app[1]), app_price=app[2],
            dataset=_addr(dataset[0]), dataset_price=dataset[2],
            workerpool=_addr(pool[0]), workerpool_owner=_addr(pool[1]), workerpool_price=pool[2],
            trust=raw[3], category=raw[4], tag=_hex(raw[5]), requester=_addr(raw[6]),
            beneficiary=_addr(raw[7]), callback=_addr(raw[8]), params=raw[9], start_time=raw[10],
            bot_first=raw[11], bot_size=raw[12], worker_stake=raw[13], scheduler_reward_ratio=raw[14],
        )

    @property
    def exists(self) -> bool:
        return self.bot_size > 0

    @property
    def has_callback(self) -> bool:
        return int(self.callback, 16) != 0

    @property
    def is_tee(self) -> bool:
        return bool(int(self.tag, 16) & TEE_TAG_BIT)

    def param(self, key: str, default: str = "") -> str:
        """A key of the deal's JSON params (``iexec_args``, ...); plain-text params are the args."""
        try:
            parsed = json.loads(self.params) if self.params else {}
        except ValueError:
            return self.params if key == "iexec_args" else default
        if not isinstance(parsed, dict):
            return default
        value = parsed.get(key, default)
        return value if isinstance(value, str) else json.dumps(value)


@dataclass(frozen=True)
class ChainTask:
    task_id: str
    status: ChainTaskStatus
    deal_id: str
    idx: int
    timeref: int
    contribution_deadline: int
    reveal_deadline: int
    final_deadline: int
    consensus_value: str
    reveal_counter: int
    winner_counter: int
    contributors: tuple[str, ...]
    result_digest: str
    results: bytes

    @classmethod
    def from_abi(cls, task_id: str, raw: Any) -> ChainTask:
        return cls(
            task_id=task_id, status=ChainTaskStatus(raw[0]), deal_id=_hex(raw[1]), idx=raw[2], timeref=raw[3],
            contribution_deadline=raw[4], reveal_deadline=raw[5], final_deadline=raw[6],
            consensus_value=_hex(raw[7]), reveal_counter=raw[8], winner_counter=raw[9],
            contributors=tuple(_addr(a) for a in raw[10]), result_digest=_hex(raw[11]), results=bytes(raw[12]),
        )

    def has_contribution_from(self, worker: str) -> bool:
        return worker.lower() in self.contributors


@dataclass(frozen=True)
class ChainContribution:
    status: ChainContributionStatus
    result_hash: str
    result_seal: str
    enclave_challenge: str
    weight: int

    @classmethod
    def from_abi(cls, raw: Any) -> ChainContribution:
        return cls(status=ChainContributionStatus(raw[0]), result_hash=_hex(raw[1]), result_seal=_hex(raw[2]),
                   enclave_challenge=_addr(raw[3]), weight=raw[4])


@dataclass(frozen=True)
class ChainApp:
    address: str
    owner: str
    name: str
    app_type: str
    multiaddr: str
    checksum: str

    @classmethod
    def from_abi(cls, address: str, raw: Any) -> ChainApp:
        return cls(address=address.lower(), owner=_addr(raw[0]), name=raw[1], app_type=raw[2],
                   multiaddr=bytes(raw[3]).decode("utf-8", errors="replace"), checksum=_hex(raw[4]))


@dataclass(frozen=True)
class ChainCategory:
    index: int
    name: str
    description: str
    work_clock_time_ref_s: int
