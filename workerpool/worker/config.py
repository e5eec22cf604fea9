"""Worker settings: exactly the IEXEC_* names and defaults of the worker's configuration table (seeds/003)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from workerpool.common.errors import ConfigError
from workerpool.common.settings import env_values, validated

__all__ = ["WorkerSettings", "RegistryAuth"]

_ENV = {
    "worker_port": "IEXEC_WORKER_PORT",
    "core_protocol": "IEXEC_CORE_PROTOCOL",
    "core_host": "IEXEC_CORE_HOST",
    "core_port": "IEXEC_CORE_PORT",
    "worker_name": "IEXEC_WORKER_NAME",
    "pool_address": "POOL_ADDRESS",
    "base_dir": "IEXEC_WORKER_BASE_DIR",
    "cpu_count": "IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT",
    "gpu_enabled": "IEXEC_WORKER_GPU_ENABLED",
    "gas_price_multiplier": "IEXEC_GAS_PRICE_MULTIPLIER",
    "gas_price_cap_wei": "IEXEC_GAS_PRICE_CAP",
    "node_url_override": "IEXEC_WORKER_OVERRIDE_BLOCKCHAIN_NODE_ADDRESS",
    "developer_logger_enabled": "IEXEC_DEVELOPER_LOGGER_ENABLED",
    "docker_network_name": "IEXEC_WORKER_DOCKER_NETWORK_NAME",
    "min_pull_timeout": "IEXEC_WORKER_DOCKER_IMAGE_MIN_PULL_TIMEOUT",
    "max_pull_timeout": "IEXEC_WORKER_DOCKER_IMAGE_MAX_PULL_TIMEOUT",
    "wallet_path": "IEXEC_WORKER_WALLET_PATH",
    "wallet_password": "IEXEC_WORKER_WALLET_PASSWORD",
    "metrics_window_size": "IEXEC_WORKER_METRICS_WINDOW_SIZE",
    "registry_username_0": "IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_0",
    "registry_password_0": "IEXEC_WORKER_DOCKER_REGISTRY_PASSWORD_0",
    "registry_address_1": "IEXEC_WORKER_DOCKER_REGISTRY_ADDRESS_1",
    "registry_username_1": "IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_1",
    "registry_password_1": "IEXEC_WORKER_DOCKER_REGISTRY_PASSWORD_1",
}


class RegistryAuth(BaseModel):
    address: str
    username: str
    password: str


def _iso_duration_s(value: str, name: str) -> float:
    """Seconds of an ISO-8601 duration such as PT5M, PT30M, PT1H30M, PT45S."""
    import re

    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", value.strip().upper())
    if not match or value.strip().upper() in ("P", "PT"):
        raise ConfigError(f"{name}={value!r} is not an ISO-8601 duration such as PT5M")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


class WorkerSettings(BaseModel):
    worker_port: int = 13100
    core_protocol: str = "http"
    core_host: str = "localhost"
    core_port: int = 13000
    worker_name: str = "worker"
    pool_address: str = "0x0"
    base_dir: Path = Path("/tmp/iexec-worker")
    cpu_count: int | None = None
    gpu_enabled: bool = False
    gas_price_multiplier: float = 1.3
    gas_price_cap_wei: int = 22_000_000_000
    node_url_override: str = ""
    developer_logger_enabled: bool = False
    docker_network_name: str = "iexec-worker-net"
    min_pull_timeout: str = "PT5M"
    max_pull_timeout: str = "PT30M"
    wallet_path: Path = Path("./src/main/resources/wallet/encrypted-wallet_worker1.json")
    wallet_password: str = "whatever"
    metrics_window_size: int = 1000
    registry_username_0: str = ""
    registry_password_0: str = ""
    registry_address_1: str = ""
    registry_username_1: str = ""
    registry_password_1: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        settings = validated(cls, env_values(_ENV, os.environ if env is None else env), _ENV)
        settings.validate_values()
        return settings

    def validate_values(self) -> None:
        if self.cpu_count is not None and self.cpu_count <= 0:
            raise ConfigError("IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT must be > 0 (or unset for nproc-1)")
        if self.core_protocol not in ("http", "https"):
            raise ConfigError("IEXEC_CORE_PROTOCOL must be http or https")
        if not self.worker_name or "/" in self.worker_name:
            raise ConfigError("IEXEC_WORKER_NAME must be a non-empty name without '/'")
        for user, password, name in ((self.registry_username_0, self.registry_password_0, "0"),
                                     (self.registry_username_1, self.registry_password_1, "1")):
            if user and not password:
                raise ConfigError(f"IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_{name} is set without its PASSWORD")
        self.pull_timeouts_s()

    @property
    def core_url(self) -> str:
        return f"{self.core_protocol}://{self.core_host}:{self.core_port}"

    @property
    def slots(self) -> int:
        """CPU slots offered: the override, else nproc − 1 (at least 1); GPU workers take one task at a time."""
        if self.gpu_enabled:
            return 1
        return self.cpu_count or max((os.cpu_count() or 2) - 1, 1)

    @property
    def pool_address_or_none(self) -> str | None:
        return None if self.pool_address.lower() in ("", "0x0", "0x" + "0" * 40) else self.pool_address.lower()

    def pull_timeouts_s(self) -> tuple[float, float]:
        low = _iso_duration_s(self.min_pull_timeout, _ENV["min_pull_timeout"])
        high = _iso_duration_s(self.max_pull_timeout, _ENV["max_pull_timeout"])
        return low, high

    def pull_timeout_s(self, max_execution_time_s: int) -> float:
        """Pull timeout from the category time, as worker-spec 5.2 meant it (minutes, clamped; max wins)."""
        import math

        low, high = self.pull_timeouts_s()
        minutes = max(max_execution_time_s // 60, 1)
        guess_s = 60 * round(10 * math.log10(max(minutes / 10, 1e-9))) if minutes >= 10 else 0
        return min(max(guess_s, low), high) if low <= high else high

    def registries(self) -> list[RegistryAuth]:
        out = []
        if self.registry_username_0:
            out.append(RegistryAuth(address="docker.io", username=self.registry_username_0,
                                    password=self.registry_password_0))
        if self.registry_address_1 and self.registry_username_1:
            out.append(RegistryAuth(address=self.registry_address_1, username=self.registry_username_1,
                                    password=self.registry_password_1))
        return out
