"""Scheduler settings: one typed object from the environment, refused early with the variable named."""

from __future__ import annotations

from pathlib import Path

import pytest

from workerpool.common.errors import ConfigError
from workerpool.scheduler.config import SchedulerSettings

HUB = "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"
POOL = "0x2Bd661e1bBa086D6be8D242Ba1fa25065752c541"
REQUIRED = {"IEXEC_CORE_WALLET_PATH": "/keys/wallet.json", "IEXEC_CORE_WALLET_PASSWORD": "secret",
            "IEXEC_HUB_ADDRESS": HUB, "POOL_ADDRESS": POOL}


def test_missing_variables_are_all_named() -> None:
    with pytest.raises(ConfigError) as info:
        SchedulerSettings.from_env({})

    for name in REQUIRED:
        assert name in str(info.value)


@pytest.mark.parametrize("name", list(REQUIRED))
def test_one_missing_or_empty_variable_is_named(name: str) -> None:
    for env in ({k: v for k, v in REQUIRED.items() if k != name}, {**REQUIRED, name: ""}):
        with pytest.raises(ConfigError, match=name) as info:
            SchedulerSettings.from_env(env)
        assert all(other not in str(info.value) for other in REQUIRED if other != name)


def test_defaults(tmp_path: Path) -> None:
    settings = SchedulerSettings.from_env({**REQUIRED, "IEXEC_CORE_STATE_DIR": str(tmp_path)})

    assert settings.hub_address == HUB.lower() and settings.pool_address == POOL.lower()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/scheduler.db"
    assert settings.result_repository_url == "http://127.0.0.1:13000"
    assert settings.public_node_url == settings.node_url == "http://127.0.0.1:8545"
    assert (settings.port, settings.ask_replicate_period_ms, settings.reveal_timeout_period_ms) == (
        13000, 5000, 120_000)
    assert settings.wallet_path == Path("/keys/wallet.json") and settings.wallet_password == "secret"
    assert settings.categories == [0]
    assert settings.results_dir == tmp_path / "results"


def test_default_database_lives_under_the_default_state_dir() -> None:
    settings = SchedulerSettings.from_env(REQUIRED)

    assert settings.database_url == f"sqlite:///{Path('.workerpool/scheduler/scheduler.db').resolve()}"


def test_result_repository_url_follows_host_and_port() -> None:
    settings = SchedulerSettings.from_env({**REQUIRED, "IEXEC_CORE_HOST": "10.0.0.5", "IEXEC_CORE_PORT": "14000"})

    assert settings.result_repository_url == "http://10.0.0.5:14000"


def test_explicit_values_win_over_derived_defaults() -> None:
    settings = SchedulerSettings.from_env({
        **REQUIRED, "IEXEC_CORE_DATABASE_URL": "postgresql://db/iexec", "IEXEC_RESULT_REPOSITORY_URL": "http://r:1",
        "IEXEC_PRIVATE_CHAIN_ADDRESS": "http://node:8545", "IEXEC_PUBLIC_CHAIN_ADDRESS": "https://public",
        "IEXEC_POOL_ORDER_CATEGORIES": "0, 2,4", "IEXEC_CHAIN_ID": "134"})

    assert settings.database_url == "postgresql://db/iexec" and settings.result_repository_url == "http://r:1"
    assert (settings.node_url, settings.public_node_url) == ("http://node:8545", "https://public")
    assert settings.categories == [0, 2, 4] and settings.chain_id == 134


def test_keyword_overrides_win_and_none_is_ignored() -> None:
    settings = SchedulerSettings.from_env(REQUIRED, port=15000, host=None)

    assert (settings.port, settings.host) == (15000, "127.0.0.1")
    assert settings.result_repository_url == "http://127.0.0.1:15000"


@pytest.mark.parametrize(("name", "bad"), [("IEXEC_HUB_ADDRESS", "0x1234"), ("POOL_ADDRESS", "pool"),
                                           ("POOL_ADDRESS", HUB + "00")])
def test_bad_address_is_refused(name: str, bad: str) -> None:
    with pytest.raises(ConfigError, match="POOL_ADDRESS"):
        SchedulerSettings.from_env({**REQUIRED, name: bad})


@pytest.mark.parametrize("zero", ["0x0", "0x" + "00" * 20])
def test_zero_pool_address_is_refused(zero: str) -> None:
    with pytest.raises(ConfigError, match="POOL_ADDRESS"):
        SchedulerSettings.from_env({**REQUIRED, "POOL_ADDRESS": zero})


@pytest.mark.parametrize(("name", "bad"), [("IEXEC_CORE_PORT", "http"), ("IEXEC_CHAIN_ID", "x"),
                                           ("IEXEC_GAS_PRICE_MULTIPLIER", "fast"), ("IEXEC_ASK_REPLICATE_PERIOD", "1s"),
                                           ("IEXEC_POOL_ORDER_TRUST", "high")])
def test_invalid_value_names_its_variable(name: str, bad: str) -> None:
    with pytest.raises(ConfigError, match=name):
        SchedulerSettings.from_env({**REQUIRED, name: bad})


def test_too_short_ask_period_is_refused() -> None:
    with pytest.raises(ConfigError, match="IEXEC_ASK_REPLICATE_PERIOD"):
        SchedulerSettings.from_env({**REQUIRED, "IEXEC_ASK_REPLICATE_PERIOD": "99"})
    assert SchedulerSettings.from_env({**REQUIRED, "IEXEC_ASK_REPLICATE_PERIOD": "100"}).ask_replicate_period_ms == 100


def test_bad_categories_are_refused_on_use() -> None:
    settings = SchedulerSettings.from_env({**REQUIRED, "IEXEC_POOL_ORDER_CATEGORIES": "0,XL"})

    with pytest.raises(ConfigError, match="IEXEC_POOL_ORDER_CATEGORIES"):
        _ = settings.categories


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IEXEC_CORE_PORT", "13555")

    assert SchedulerSettings.from_env().port == 13555


def test_detector_settings_defaults_and_environment_names() -> None:
    default = SchedulerSettings.from_env(REQUIRED)
    tuned = SchedulerSettings.from_env({**REQUIRED, "IEXEC_CORE_RESULT_UPLOAD_TIMEOUT_S": "7",
                                        "IEXEC_CORE_DETECTOR_PERIOD_S": "0.5", "REVEAL_TIMEOUT_PERIOD": "1500",
                                        "IEXEC_CORE_CHAIN_POLL_PERIOD_S": "4"})

    assert (default.result_upload_timeout_s, default.detector_period_s, default.reveal_timeout_period_s) == (
        120, 5, 120)
    assert default.unnotified_grace_s == 6  # 3 chain polls of 2 s (at least 5 s)
    assert (tuned.result_upload_timeout_s, tuned.detector_period_s, tuned.reveal_timeout_period_s) == (7, 0.5, 1.5)
    assert tuned.unnotified_grace_s == 12


@pytest.mark.parametrize("name", ["IEXEC_CORE_RESULT_UPLOAD_TIMEOUT_S", "IEXEC_CORE_DETECTOR_PERIOD_S",
                                  "REVEAL_TIMEOUT_PERIOD", "IEXEC_CORE_WORKER_LOST_AFTER_S",
                                  "IEXEC_CORE_CHAIN_POLL_PERIOD_S"])
def test_detector_periods_must_be_positive(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        SchedulerSettings.from_env({**REQUIRED, name: "0"})
