"""Worker settings: the IEXEC_* names and defaults of seeds/003, validated at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from workerpool.common.errors import ConfigError
from workerpool.worker.config import RegistryAuth, WorkerSettings


def test_seed_003_defaults() -> None:
    s = WorkerSettings.from_env({})

    assert s.worker_port == 13100
    assert (s.core_protocol, s.core_host, s.core_port) == ("http", "localhost", 13000)
    assert s.core_url == "http://localhost:13000"
    assert s.worker_name == "worker"
    assert s.pool_address == "0x0" and s.pool_address_or_none is None
    assert s.base_dir == Path("/tmp/iexec-worker")
    assert s.cpu_count is None and s.gpu_enabled is False
    assert s.gas_price_multiplier == 1.3 and s.gas_price_cap_wei == 22_000_000_000
    assert s.node_url_override == "" and s.developer_logger_enabled is False
    assert s.docker_network_name == "iexec-worker-net"
    assert (s.min_pull_timeout, s.max_pull_timeout) == ("PT5M", "PT30M")
    assert s.pull_timeouts_s() == (300, 1800)
    assert s.wallet_path == Path("./src/main/resources/wallet/encrypted-wallet_worker1.json")
    assert s.wallet_password == "whatever"
    assert s.metrics_window_size == 1000
    assert s.registries() == []


def test_values_are_read_from_their_variables() -> None:
    s = WorkerSettings.from_env({
        "IEXEC_WORKER_PORT": "13101", "IEXEC_CORE_PROTOCOL": "https", "IEXEC_CORE_HOST": "pool.example",
        "IEXEC_CORE_PORT": "18090", "IEXEC_WORKER_NAME": "w-7",
        "POOL_ADDRESS": "0xABCDEF0000000000000000000000000000000001",
        "IEXEC_WORKER_BASE_DIR": "/data/w", "IEXEC_GAS_PRICE_MULTIPLIER": "2.5", "IEXEC_GAS_PRICE_CAP": "1000",
        "IEXEC_WORKER_OVERRIDE_BLOCKCHAIN_NODE_ADDRESS": "http://node:8545", "IEXEC_DEVELOPER_LOGGER_ENABLED": "true",
        "IEXEC_WORKER_DOCKER_NETWORK_NAME": "net", "IEXEC_WORKER_WALLET_PATH": "/w.json",
        "IEXEC_WORKER_WALLET_PASSWORD": "pw", "IEXEC_WORKER_METRICS_WINDOW_SIZE": "10",
    })  # fmt: skip

    assert s.worker_port == 13101 and s.core_url == "https://pool.example:18090" and s.worker_name == "w-7"
    assert s.pool_address_or_none == "0xabcdef0000000000000000000000000000000001"
    assert s.base_dir == Path("/data/w") and s.gas_price_multiplier == 2.5 and s.gas_price_cap_wei == 1000
    assert s.node_url_override == "http://node:8545" and s.developer_logger_enabled is True
    assert s.docker_network_name == "net" and s.wallet_path == Path("/w.json") and s.wallet_password == "pw"
    assert s.metrics_window_size == 10


def test_empty_variables_keep_the_default() -> None:
    assert WorkerSettings.from_env({"IEXEC_WORKER_PORT": "", "IEXEC_WORKER_NAME": ""}).worker_port == 13100


@pytest.mark.parametrize(("name", "bad"), [
    ("IEXEC_WORKER_PORT", "http"), ("IEXEC_CORE_PORT", "x"), ("IEXEC_GAS_PRICE_MULTIPLIER", "fast"),
    ("IEXEC_GAS_PRICE_CAP", "22 gwei"), ("IEXEC_WORKER_GPU_ENABLED", "maybe"),
    ("IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT", "two"), ("IEXEC_WORKER_METRICS_WINDOW_SIZE", "1,000"),
    ("IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT", "0"), ("IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT", "-2"),
    ("IEXEC_CORE_PROTOCOL", "ftp"), ("IEXEC_WORKER_NAME", "a/b"),
    ("IEXEC_WORKER_DOCKER_IMAGE_MIN_PULL_TIMEOUT", "5 minutes"), ("IEXEC_WORKER_DOCKER_IMAGE_MAX_PULL_TIMEOUT", "PT"),
])  # fmt: skip
def test_invalid_value_names_its_variable(name: str, bad: str) -> None:
    with pytest.raises(ConfigError, match=name):
        WorkerSettings.from_env({name: bad})


@pytest.mark.parametrize("index", ["0", "1"])
def test_registry_username_without_password_is_refused(index: str) -> None:
    env = {f"IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_{index}": "alice", "IEXEC_WORKER_DOCKER_REGISTRY_ADDRESS_1": "r.io"}

    with pytest.raises(ConfigError, match=f"IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_{index}"):
        WorkerSettings.from_env(env)


def test_registries() -> None:
    s = WorkerSettings.from_env({
        "IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_0": "alice", "IEXEC_WORKER_DOCKER_REGISTRY_PASSWORD_0": "a-pw",
        "IEXEC_WORKER_DOCKER_REGISTRY_ADDRESS_1": "registry.example:5000",
        "IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_1": "bob", "IEXEC_WORKER_DOCKER_REGISTRY_PASSWORD_1": "b-pw",
    })

    assert s.registries() == [RegistryAuth(address="docker.io", username="alice", password="a-pw"),
                              RegistryAuth(address="registry.example:5000", username="bob", password="b-pw")]


def test_custom_registry_needs_its_address() -> None:
    s = WorkerSettings.from_env({"IEXEC_WORKER_DOCKER_REGISTRY_USERNAME_1": "bob",
                                 "IEXEC_WORKER_DOCKER_REGISTRY_PASSWORD_1": "b-pw"})

    assert s.registries() == []


def test_slots_follow_the_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 8)

    assert WorkerSettings.from_env({}).slots == 7  # nproc - 1
    assert WorkerSettings.from_env({"IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT": "3"}).slots == 3
    gpu = {"IEXEC_WORKER_OVERRIDE_AVAILABLE_CPU_COUNT": "3", "IEXEC_WORKER_GPU_ENABLED": "true"}
    assert WorkerSettings.from_env(gpu).slots == 1  # the override is ignored for GPU workers


@pytest.mark.parametrize("nproc", [1, None])
def test_slots_are_at_least_one(monkeypatch: pytest.MonkeyPatch, nproc: int | None) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: nproc)

    assert WorkerSettings.from_env({}).slots == 1


@pytest.mark.parametrize(("max_execution_time_s", "minutes"), [
    (3000, 7), (12000, 13), (36000, 18), (108000, 23), (360000, 28),  # worker-spec 5.2 unit-test values
    (60, 5), (300, 5), (599, 5),  # below the formula's range: the minimum
    (10**7, 30),  # above: the maximum
])  # fmt: skip
def test_pull_timeout_is_the_clamped_log_formula(max_execution_time_s: int, minutes: int) -> None:
    assert WorkerSettings.from_env({}).pull_timeout_s(max_execution_time_s) == minutes * 60


def test_pull_timeout_max_wins_when_min_exceeds_it() -> None:
    s = WorkerSettings.from_env({"IEXEC_WORKER_DOCKER_IMAGE_MIN_PULL_TIMEOUT": "PT40M",
                                 "IEXEC_WORKER_DOCKER_IMAGE_MAX_PULL_TIMEOUT": "PT30M"})

    assert s.pull_timeout_s(60) == s.pull_timeout_s(360000) == 1800


def test_pull_timeout_custom_clamps_and_iso_durations() -> None:
    s = WorkerSettings.from_env({"IEXEC_WORKER_DOCKER_IMAGE_MIN_PULL_TIMEOUT": "PT45S",
                                 "IEXEC_WORKER_DOCKER_IMAGE_MAX_PULL_TIMEOUT": "PT1H30M"})

    assert s.pull_timeouts_s() == (45, 5400)
    assert s.pull_timeout_s(60) == 45
    assert s.pull_timeout_s(3000) == 420
    assert WorkerSettings.from_env({"IEXEC_WORKER_DOCKER_IMAGE_MAX_PULL_TIMEOUT": "P1D"}).pull_timeouts_s()[1] == 86400


def test_pool_address_zero_forms_mean_none() -> None:
    assert WorkerSettings.from_env({"POOL_ADDRESS": "0x" + "0" * 40}).pool_address_or_none is None
