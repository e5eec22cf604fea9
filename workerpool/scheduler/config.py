"""Scheduler settings: one typed object, read once from the environment at start (names from seeds/004)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from workerpool.common.errors import ConfigError
from workerpool.common.hashing import normalize_address
from workerpool.common.settings import env_values, validated

__all__ = ["SchedulerSettings"]

_ENV = {
    "host": "IEXEC_CORE_HOST",
    "port": "IEXEC_CORE_PORT",
    "wallet_path": "IEXEC_CORE_WALLET_PATH",
    "wallet_password": "IEXEC_CORE_WALLET_PASSWORD",
    "node_url": "IEXEC_PRIVATE_CHAIN_ADDRESS",
    "public_node_url": "IEXEC_PUBLIC_CHAIN_ADDRESS",
    "hub_address": "IEXEC_HUB_ADDRESS",
    "pool_address": "POOL_ADDRESS",
    "chain_id": "IEXEC_CHAIN_ID",
    "start_block_number": "IEXEC_START_BLOCK_NUMBER",
    "reveal_timeout_period_ms": "REVEAL_TIMEOUT_PERIOD",
    "ask_replicate_period_ms": "IEXEC_ASK_REPLICATE_PERIOD",
    "database_url": "IEXEC_CORE_DATABASE_URL",
    "state_dir": "IEXEC_CORE_STATE_DIR",
    "result_repository_url": "IEXEC_RESULT_REPOSITORY_URL",
    "gas_price_multiplier": "IEXEC_GAS_PRICE_MULTIPLIER",
    "gas_price_cap_wei": "IEXEC_GAS_PRICE_CAP",
    "chain_poll_period_s": "IEXEC_CORE_CHAIN_POLL_PERIOD_S",
    "worker_lost_after_s": "IEXEC_CORE_WORKER_LOST_AFTER_S",
    "result_upload_timeout_s": "IEXEC_CORE_RESULT_UPLOAD_TIMEOUT_S",
    "detector_period_s": "IEXEC_CORE_DETECTOR_PERIOD_S",
    "order_price_nrlc": "IEXEC_POOL_ORDER_PRICE",
    "order_categories": "IEXEC_POOL_ORDER_CATEGORIES",
    "order_trust": "IEXEC_POOL_ORDER_TRUST",
    "order_volume": "IEXEC_POOL_ORDER_VOLUME",
}


class SchedulerSettings(BaseModel):
    """Everything the scheduler needs; build it with :meth:`from_env`."""

    host: str = "127.0.0.1"
    port: int = 13000
    wallet_path: Path
    wallet_password: str
    node_url: str = "http://127.0.0.1:8545"
    public_node_url: str = ""
    hub_address: str
    pool_address: str
    chain_id: int | None = None
    start_block_number: int = 0
    reveal_timeout_period_ms: int = 120_000
    ask_replicate_period_ms: int = 5_000
    database_url: str = ""
    state_dir: Path = Path(".workerpool/scheduler")
    result_repository_url: str = ""
    gas_price_multiplier: float = 1.0
    gas_price_cap_wei: int = 22_000_000_000
    chain_poll_period_s: float = 2.0
    worker_lost_after_s: float = 60.0
    #: An elected uploader silent for this long is failed and another one elected (core-spec §6.6).
    result_upload_timeout_s: float = 120.0
    #: Period of the detectors (worker lost, timeouts, unnotified, claim); the reveal-timeout detector runs
    #: every ``reveal_timeout_period_ms`` instead.
    detector_period_s: float = 5.0
    order_price_nrlc: int = 100_000_000
    order_categories: str = "0"
    order_trust: int = 100
    order_volume: int = 1_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> SchedulerSettings:
        """Read and validate the settings; raises ConfigError naming the variable at fault."""
        values = env_values(_ENV, os.environ if env is None else env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        missing = [_ENV[k] for k in ("wallet_path", "wallet_password", "hub_address", "pool_address")
                   if k not in values]
        if missing:
            raise ConfigError(f"missing setting(s) {', '.join(missing)}: set them in the environment "
                              "(or start a local pool with `workerpool up`)")
        return validated(cls, values, _ENV).checked()

    def checked(self) -> SchedulerSettings:
        try:
            hub, pool = normalize_address(self.hub_address), normalize_address(self.pool_address)
        except ValueError as e:
            raise ConfigError(f"IEXEC_HUB_ADDRESS and POOL_ADDRESS must be 0x addresses: {e}") from e
        if int(pool, 16) == 0:
            raise ConfigError("POOL_ADDRESS is 0x0: set it to the workerpool this scheduler serves")
        if self.ask_replicate_period_ms < 100:
            raise ConfigError("IEXEC_ASK_REPLICATE_PERIOD must be at least 100 (ms)")
        for field in ("worker_lost_after_s", "result_upload_timeout_s", "detector_period_s",
                      "reveal_timeout_period_ms", "chain_poll_period_s"):
            if getattr(self, field) <= 0:
                raise ConfigError(f"{_ENV[field]} must be positive")
        state = self.state_dir
        update: dict[str, object] = {"hub_address": hub, "pool_address": pool}
        if not self.database_url:
            update["database_url"] = f"sqlite:///{(state / 'scheduler.db').resolve()}"
        if not self.public_node_url:
            update["public_node_url"] = self.node_url
        if not self.result_repository_url:
            update["result_repository_url"] = f"http://{self.host}:{self.port}"
        return self.model_copy(update=update)

    @property
    def categories(self) -> list[int]:
        try:
            return [int(c) for c in self.order_categories.split(",") if c.strip()]
        except ValueError as e:
            raise ConfigError("IEXEC_POOL_ORDER_CATEGORIES must be a comma list of category ids") from e

    @property
    def reveal_timeout_period_s(self) -> float:
        return self.reveal_timeout_period_ms / 1000

    @property
    def unnotified_grace_s(self) -> float:
        """How long a worker may take to report its own contribution or reveal before the pool records it."""
        return max(5.0, 3 * self.chain_poll_period_s)

    @property
    def results_dir(self) -> Path:
        return self.state_dir / "results"
