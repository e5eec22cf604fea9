"""Scheduler composition root: builds every service from the settings, serves the API, runs the engine."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from workerpool.chain.gas import GasPolicy
from workerpool.chain.node import connect
from workerpool.chain.poco import PocoClient
from workerpool.chain.tx import TxSender
from workerpool.chain.wallet import load_wallet
from workerpool.common.errors import ChainError, ConfigError
from workerpool.common.hashing import keccak_hex
from workerpool.common.messages import PublicConfiguration, result_link
from workerpool.common.orders import Domain
from workerpool.common.statuses import ReplicateStatus

from .api.routes import build_router
from .config import SchedulerSettings
from .db.engine import Database
from .db.tables import Replicate, Task
from .deals import DealWatcher
from .detectors import (
    ClaimDetector,
    DeadlinesDetector,
    Detector,
    DetectorSchedule,
    RevealTimeoutDetector,
    UnnotifiedDetector,
    UploadTimeoutDetector,
    WorkerLostDetector,
)
from .engine import EngineLoop, TaskEngine
from .notifications import NotificationHub
from .orders import OrderBook
from .recovery import Recovery
from .replicates import ReplicateUpdater
from .results import ResultStore
from .supply import ReplicateSupply
from .workers import WorkerRegistry

__all__ = ["SchedulerServices", "ChainClock", "create_app", "serve"]

log = logging.getLogger(__name__)


class ChainClock:
    """Chain time as the contracts see it: never behind the latest block's timestamp."""

    def __init__(self, poco: PocoClient):
        self.poco = poco
        self.latest_block = 0
        self.latest_timestamp = 0
        self.last_success = 0.0

    def refresh(self) -> int:
        block = self.poco.w3.eth.get_block("latest")
        self.latest_block, self.latest_timestamp = int(block["number"]), int(block["timestamp"])
        self.last_success = time.monotonic()
        return self.latest_block

    def now(self) -> float:
        return max(time.time(), float(self.latest_timestamp))


class SchedulerServices:
    """Every service of one scheduler process, wired once."""

    def __init__(self, settings: SchedulerSettings):
        self.settings = settings
        self.account = load_wallet(settings.wallet_path, settings.wallet_password)
        self.wallet = self.account.address.lower()
        w3 = connect(settings.node_url)
        chain_id = int(w3.eth.chain_id)
        if settings.chain_id is not None and settings.chain_id != chain_id:
            raise ConfigError(f"IEXEC_CHAIN_ID={settings.chain_id} but the node at {settings.node_url} "
                              f"is chain {chain_id}")
        self.chain_id = chain_id
        sender = TxSender(w3, self.account, gas_policy=GasPolicy(settings.gas_price_multiplier,
                                                                  settings.gas_price_cap_wei), chain_id=chain_id)
        self.poco = PocoClient(w3, settings.hub_address, sender=sender)
        self._check_pool_owner()
        self.db = Database(settings.database_url)
        self.db.create_schema()
        self._check_same_chain(str(w3.eth.get_block(0)["hash"].hex()))
        self.clock = ChainClock(self.poco)
        from .auth import WorkerAuth

        self.auth = WorkerAuth()
        self.results = ResultStore(settings.results_dir)
        self.notifications = NotificationHub(self.db)
        self.workers = WorkerRegistry(self.db, lost_after_s=settings.worker_lost_after_s)
        self.supply = ReplicateSupply(self.db, self.poco, scheduler_key=self.account.key,
                                      ask_period_ms=settings.ask_replicate_period_ms, chain_now=self.clock.now)
        self.recovery = Recovery(self.db, self.poco, scheduler_key=self.account.key)
        self.engine = TaskEngine(self.db, self.poco, self.notifications, result_link_of=self.result_link,
                                 chain_now=self.clock.now)
        self.deals = DealWatcher(self.db, self.poco, pool=settings.pool_address,
                                 start_block=settings.start_block_number)
        self.loop = EngineLoop(self.engine, self._scan, period_s=settings.chain_poll_period_s)
        self.loop.detectors = DetectorSchedule(self._detectors(), chain_now=self.clock.now)
        self.updater = ReplicateUpdater(self.db, self.poco, self.results, on_update=self.loop.poke)
        self.orders = OrderBook(self.db, self.poco, Domain(chain_id, settings.hub_address),
                                pool=settings.pool_address, owner_key=self.account.key,
                                price_nrlc=settings.order_price_nrlc, trust=settings.order_trust,
                                volume=settings.order_volume)

    def _detectors(self) -> list[Detector]:
        s, poke, period_s = self.settings, self.loop.poke, self.settings.detector_period_s
        return [
            WorkerLostDetector(self.db, lost_after_s=s.worker_lost_after_s, period_s=period_s, poke=poke),
            DeadlinesDetector(self.db, period_s=period_s, poke=poke),
            RevealTimeoutDetector(self.db, self.poco, self.notifications, period_s=s.reveal_timeout_period_s,
                                  poke=poke),
            ClaimDetector(self.db, self.poco, period_s=period_s),
            UnnotifiedDetector(self.db, self.poco, period_s=period_s, grace_s=s.unnotified_grace_s, poke=poke),
            UploadTimeoutDetector(self.db, timeout_s=s.result_upload_timeout_s, period_s=period_s,
                                  has_result=self.results.has, result_link_of=self.result_link, poke=poke),
        ]

    def _check_pool_owner(self) -> None:
        try:
            owner = self.poco.workerpool_owner(self.settings.pool_address)
        except ChainError as e:
            raise ConfigError(f"POOL_ADDRESS {self.settings.pool_address} is not a workerpool on hub "
                              f"{self.settings.hub_address}: {e}") from e
        if owner != self.wallet:
            raise ConfigError(f"the scheduler wallet {self.wallet} does not own workerpool "
                              f"{self.settings.pool_address} (owner {owner}): use the owner's wallet")

    def _check_same_chain(self, genesis: str) -> None:
        """Refuse a database filled on another chain (e.g. a restarted dev node): its cursor and tasks lie."""
        from .db.tables import Setting

        with self.db.session() as s:
            row = s.get(Setting, "chain_genesis")
            if row is None:
                s.add(Setting(key="chain_genesis", value=genesis))
            elif row.value != genesis:
                raise ConfigError(f"the database {self.settings.database_url} belongs to another chain (genesis "
                                  f"{row.value}, node has {genesis}): point IEXEC_CORE_DATABASE_URL to a fresh "
                                  "database or restore the original node")

    def _scan(self) -> None:
        latest = self.clock.refresh()
        created = self.deals.scan(latest)
        for chain_task_id in created:
            self.loop.poke(chain_task_id)

    def healthy(self) -> bool:
        return time.monotonic() - self.clock.last_success < max(30.0, 5 * self.settings.chain_poll_period_s)

    def public_config(self) -> PublicConfiguration:
        s = self.settings
        return PublicConfiguration(
            workerpool_address=s.pool_address, scheduler_public_address=self.wallet, chain_id=self.chain_id,
            chain_node_url=s.public_node_url, iexec_hub_address=s.hub_address,
            result_repository_url=s.result_repository_url, ask_for_replicate_period_ms=s.ask_replicate_period_ms,
            block_time_s=s.chain_poll_period_s,
        )

    def session_id(self) -> str:
        """Digest of the public configuration: workers restart when it changes (spec/core-spec.md §1.4)."""
        return keccak_hex(json.dumps(self.public_config().wire(), sort_keys=True).encode())

    def result_link(self, chain_task_id: str) -> str:
        return result_link("workerpool", f"{self.settings.result_repository_url}/results/{chain_task_id}")

    def accept_result(self, wallet: str, chain_task_id: str, data: bytes) -> str | None:
        """Store an upload from the elected uploader; returns why it is refused, or None."""
        with self.db.session() as s:
            task = s.get(Task, chain_task_id)
            replicate = s.query(Replicate).filter_by(chain_task_id=chain_task_id, worker=wallet).first()
            if task is None or replicate is None:
                return "no replicate of this task for this worker"
            if task.uploading_worker != wallet or replicate.status not in (
                    ReplicateStatus.RESULT_UPLOAD_REQUESTED.value, ReplicateStatus.RESULT_UPLOADING.value):
                return "this worker was not asked to upload this task's result"
        self.results.save(chain_task_id, data)
        log.info("result stored (%d bytes) [task=%s worker=%s]", len(data), chain_task_id, wallet)
        return None


def create_app(services: SchedulerServices, *, run_engine: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services.notifications.bind_loop(asyncio.get_running_loop())
        try:
            services.clock.refresh()
        except Exception as e:  # health reports it; the engine keeps retrying
            log.warning("chain node not reachable at start: %s", e)
        for category in services.settings.categories:
            services.orders.open_orders(category)
        if run_engine:
            services.loop.start()
        log.info("scheduler up: pool=%s wallet=%s chain=%d api=http://%s:%d", services.settings.pool_address,
                 services.wallet, services.chain_id, services.settings.host, services.settings.port)
        yield
        if run_engine:
            services.loop.stop()

    app = FastAPI(title="workerpool scheduler", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    app.include_router(build_router(services))
    return app


def serve(settings: SchedulerSettings) -> None:
    """Run the scheduler until interrupted."""
    services = SchedulerServices(settings)
    app = create_app(services)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            timeout_graceful_shutdown=2)
    uvicorn.Server(config).run()


