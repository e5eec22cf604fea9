"""Worker composition root: boot (wallet, scheduler, chain, Docker), recovery, then ping / feed / ask loops."""

from __future__ import annotations

import logging
import os
import platform
import shutil
import threading
from typing import Any

from workerpool.chain.gas import GasPolicy
from workerpool.chain.node import connect
from workerpool.chain.poco import PocoClient
from workerpool.chain.tx import TxSender
from workerpool.chain.wallet import load_wallet
from workerpool.common.errors import ChainError, ConfigError, SchedulerError, WorkerpoolError
from workerpool.common.messages import TaskNotification, TaskNotificationExtra, WorkerModel
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.compute.layout import TaskDirs, worker_dir_tasks
from workerpool.compute.runtime import DockerRuntime, RegistryCredentials

from .actions import ReplicateState
from .checks import has_enough_gas
from .client import SchedulerClient
from .config import WorkerSettings
from .context import WorkerContext
from .metrics import WorkerMetrics
from .runner import TaskRunner
from .server import HealthServer, build_worker_api

__all__ = ["Agent"]

#: Notifications that start (or restart) the compute part of a replicate.
_COMPUTE_STEPS = frozenset({N.PLEASE_START, N.PLEASE_DOWNLOAD_APP, N.PLEASE_DOWNLOAD_DATA, N.PLEASE_COMPUTE})

log = logging.getLogger(__name__)

#: Ping period fixed by the iExec protocol (seeds/003).
PING_PERIOD_S = 10.0


class Agent:
    def __init__(self, settings: WorkerSettings):
        self.settings = settings
        self.metrics = WorkerMetrics(window_size=settings.metrics_window_size)
        self.account = load_wallet(settings.wallet_path, settings.wallet_password)
        self.wallet = self.account.address.lower()
        self.client = SchedulerClient(settings.core_url, self.account)
        self.ctx: WorkerContext | None = None
        self.runners: dict[str, TaskRunner] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._scheduler_ok = False
        self._server = HealthServer(build_worker_api(self.health, self.metrics), host="0.0.0.0",
                                    port=settings.worker_port)

    # ---- boot ----------------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return {"status": "UP", "wallet": self.wallet, "name": self.settings.worker_name,
                "scheduler": "UP" if self._scheduler_ok else "UNREACHABLE", "runningTasks": len(self.runners)}

    def _until_ok(self, what: str, attempt: Any) -> Any:
        delay_s = 2.0
        while not self._stop.is_set():
            try:
                return attempt()
            except (SchedulerError, ChainError) as e:
                log.error("%s: %s (retrying in %.0f s)", what, e, delay_s)
                self._stop.wait(delay_s)
                delay_s = min(delay_s * 2, 30.0)
        raise SystemExit(0)

    def boot(self) -> None:
        self._server.start()
        config = self._until_ok("cannot reach the scheduler", self.client.config)
        self._scheduler_ok = True
        pool = self.settings.pool_address_or_none or config.workerpool_address
        if pool != config.workerpool_address:
            raise ConfigError(f"POOL_ADDRESS={pool} but the scheduler at {self.settings.core_url} serves "
                              f"{config.workerpool_address}: fix POOL_ADDRESS or IEXEC_CORE_HOST")
        node_url = self.settings.node_url_override or config.chain_node_url
        w3 = self._until_ok(f"cannot reach the chain node {node_url}", lambda: connect(node_url))
        policy = GasPolicy(self.settings.gas_price_multiplier, self.settings.gas_price_cap_wei)
        poco = PocoClient(w3, config.iexec_hub_address,
                          sender=TxSender(w3, self.account, gas_policy=policy, chain_id=config.chain_id))
        owner = poco.workerpool_owner(pool)
        if owner != config.scheduler_public_address:
            raise ConfigError(f"the scheduler's wallet {config.scheduler_public_address} does not own pool {pool}")
        creds = [RegistryCredentials(r.address, r.username, r.password) for r in self.settings.registries()]
        runtime = DockerRuntime(credentials=creds)
        self.ctx = WorkerContext(settings=self.settings, account=self.account, client=self.client, poco=poco,
                                 runtime=runtime, pool=pool, pool_owner=owner, metrics=self.metrics)
        self._wait_for_gas(w3)
        self.client.login()
        self.client.register(WorkerModel(
            name=self.settings.worker_name, wallet_address=self.wallet, os=platform.system(),
            cpu=platform.machine(), cpu_nb=self.settings.slots, gpu_enabled=self.settings.gpu_enabled,
            memory_size=(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")) // 2**30))
        log.info("worker %s registered with %s: wallet=%s slots=%d pool=%s", self.settings.worker_name,
                 self.settings.core_url, self.wallet, self.settings.slots, pool)
        self._recover()

    def _wait_for_gas(self, w3: Any) -> None:
        while not self._stop.is_set():
            balance = int(w3.eth.get_balance(w3.to_checksum_address(self.wallet)))
            if has_enough_gas(balance, self.settings.gas_price_cap_wei):
                return
            log.error("wallet %s holds %d wei, less than one transaction at the gas price cap: send it ETH",
                      self.wallet, balance)
            self._stop.wait(30)

    def _recover(self) -> None:
        recovered = set()
        for notification in self.client.interrupted():
            recovered.add(notification.chain_task_id)
            self._dispatch(notification)
        for name in worker_dir_tasks(self.settings.base_dir, self.settings.worker_name):
            if name not in recovered:
                shutil.rmtree(self.settings.base_dir / self.settings.worker_name / name, ignore_errors=True)
        if recovered:
            log.info("recovered %d task(s) after restart", len(recovered))

    # ---- runners -------------------------------------------------------------------------------------------
    def _runner(self, chain_task_id: str, first: N) -> TaskRunner:
        assert self.ctx is not None
        with self._lock:
            runner = self.runners.get(chain_task_id)
            if runner is None:
                dirs = TaskDirs.for_task(self.settings.base_dir, self.settings.worker_name, chain_task_id)
                dirs.create()
                runner = TaskRunner(self.ctx, ReplicateState(chain_task_id, dirs, wallet=self.wallet),
                                    on_end=self._ended)
                # Only a replicate that still has to compute holds a CPU slot (a recovered one past COMPUTED,
                # or one asked to reveal, upload or complete, does not).
                runner.computing = first in _COMPUTE_STEPS
                self.runners[chain_task_id] = runner
                self.metrics.running.set(len(self.runners))
                runner.start()
            return runner

    def _ended(self, chain_task_id: str) -> None:
        with self._lock:
            self.runners.pop(chain_task_id, None)
            self.metrics.running.set(len(self.runners))

    def _dispatch(self, notification: TaskNotification) -> None:
        if notification.workers_address and self.wallet not in notification.workers_address:
            return
        kind = notification.task_notification_type
        with self._lock:
            known = notification.chain_task_id in self.runners
        if not known and (kind in (N.PLEASE_WAIT, N.PLEASE_CONTINUE) or not notification.workers_address):
            return  # nothing to do, or a broadcast about a task this worker is not handling
        runner = self._runner(notification.chain_task_id, kind)
        if notification.task_notification_type is N.PLEASE_ABORT:
            runner.interrupt()  # the runner may be blocked in the app container: stop it now (worker-spec §4.2)
        runner.submit(notification)

    def free_slots(self) -> int:
        with self._lock:
            return self.settings.slots - sum(1 for r in self.runners.values() if r.computing)

    # ---- loops ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.boot()
        except WorkerpoolError as e:
            log.error("worker cannot start: %s", e)
            self._server.stop()
            raise
        threads = [threading.Thread(target=loop, name=loop.__name__, daemon=True)
                   for loop in (self._ping_loop, self._feed_loop, self._ask_loop)]
        for thread in threads:
            thread.start()
        try:
            while not self._stop.wait(1):
                pass
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        for runner in list(self.runners.values()):
            runner.stop()
        self._server.stop()

    def _ping_loop(self) -> None:
        session = ""
        while not self._stop.is_set():
            try:
                answer = self.client.ping()
                self._scheduler_ok = True
                if session and answer != session:
                    log.warning("the scheduler's public configuration changed; new tasks use the new one")
                session = answer
            except SchedulerError as e:
                self._scheduler_ok = False
                log.warning("ping failed: %s", e)
            self._stop.wait(PING_PERIOD_S)

    def _feed_loop(self) -> None:
        cursor = -1
        while not self._stop.is_set():
            try:
                batch = self.client.notifications(cursor, wait_s=20)
            except SchedulerError as e:
                log.warning("notification feed: %s", e)
                self._stop.wait(2)
                continue
            for notification in batch.notifications:
                self._dispatch(notification)
            cursor = batch.cursor

    def _ask_loop(self) -> None:
        assert self.ctx is not None
        period_s = max(self.client.config().ask_for_replicate_period_ms / 1000, 0.2)
        while not self._stop.is_set():
            if self.free_slots() > 0:
                self._ask_once()
            self._stop.wait(period_s)

    def _ask_once(self) -> None:
        assert self.ctx is not None
        try:
            block = self.ctx.poco.block_number()
            self.metrics.latest_block.set(block)
            auth = self.client.available(block)
        except (SchedulerError, ChainError) as e:
            log.warning("ask for a replicate: %s", e)
            return
        if auth is None:
            return
        notification = TaskNotification(chain_task_id=auth["chainTaskId"], workers_address=[self.wallet],
                                         task_notification_type=N.PLEASE_START,
                                         task_notification_extra=TaskNotificationExtra(workerpool_authorization=auth))
        log.info("got a replicate [task=%s worker=%s]", auth["chainTaskId"], self.wallet)
        self._dispatch(notification)


