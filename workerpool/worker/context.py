"""What every replicate action needs, built once by the agent."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from workerpool.chain.poco import PocoClient
from workerpool.compute.runtime import ContainerRuntime

from .client import SchedulerClient
from .config import WorkerSettings
from .metrics import WorkerMetrics

__all__ = ["WorkerContext"]


@dataclass
class WorkerContext:
    settings: WorkerSettings
    account: Any
    client: SchedulerClient
    poco: PocoClient
    runtime: ContainerRuntime
    pool: str
    pool_owner: str
    metrics: WorkerMetrics
    #: one transaction at a time from this wallet (nonce order), all tasks together
    tx_lock: threading.Lock = field(default_factory=threading.Lock)
    clock: Any = time.time

    @property
    def wallet(self) -> str:
        return str(self.account.address).lower()
