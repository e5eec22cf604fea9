"""The dev chain: node, PoCo deployment, accounts and assets on a real Hardhat node."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3

from workerpool.chain.artifacts import (
    app_registry_abi,
    hub_abi,
    load_artifact,
    workerpool_abi,
    workerpool_registry_abi,
)
from workerpool.chain.devchain.accounts import (
    account_balances,
    create_app,
    create_workerpool,
    fund_account,
    increase_time,
)
from workerpool.chain.devchain.deploy import DEFAULT_CATEGORIES, Deployment, is_deployed, load_or_deploy
from workerpool.chain.devchain.node import HardhatNode, start_hardhat_node
from workerpool.chain.node import connect
from workerpool.common.errors import ConfigError

pytestmark = pytest.mark.chain


def _hub(w3: Web3, deployment: Deployment) -> object:
    return w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())


def test_deployment_is_complete(w3: Web3, deployment: Deployment, admin: LocalAccount) -> None:
    loupe = w3.eth.contract(
        address=to_checksum_address(deployment.hub), abi=load_artifact("DiamondLoupeFacet")["abi"]
    )
    facets = loupe.functions.facets().call()
    assert len(facets) == 16
    assert sum(len(selectors) for _, selectors in facets) == 103
    hub = w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())
    assert hub.functions.domain().call() == ("iExecODB", "5.0.0", 31337, to_checksum_address(deployment.hub))
    assert hub.functions.eip712domain_separator().call() != b"\x00" * 32
    assert hub.functions.countCategory().call() == len(DEFAULT_CATEGORIES)
    assert [tuple(hub.functions.viewCategory(i).call()) for i in range(5)] == [
        (name, '""', seconds) for name, seconds in DEFAULT_CATEGORIES
    ]
    assert hub.functions.token().call().lower() == deployment.rlc
    assert hub.functions.owner().call().lower() == admin.address.lower()
    assert (hub.functions.name().call(), hub.functions.symbol().call(), hub.functions.decimals().call()) == (
        "Staked RLC",
        "SRLC",
        9,
    )
    assert hub.functions.appregistry().call().lower() == deployment.app_registry
    assert hub.functions.workerpoolregistry().call().lower() == deployment.workerpool_registry
    assert deployment.chain_id == 31337 and deployment.deploy_block >= 1


def test_load_or_deploy_reuses_the_recorded_deployment(
    w3: Web3, deployment: Deployment, state_dir: Path
) -> None:
    block_before = w3.eth.block_number
    again, deployed_now = load_or_deploy(w3, state_dir)
    assert not deployed_now
    assert again == deployment
    assert w3.eth.block_number == block_before
    assert Deployment.from_json(json.loads((state_dir / "chain.json").read_text())) == deployment


def test_load_or_deploy_redeploys_on_a_fresh_node(
    node_factory: object, deployment: Deployment, state_dir: Path, tmp_path: Path
) -> None:
    fresh_state = tmp_path / "state"
    fresh_state.mkdir()
    (fresh_state / "chain.json").write_text((state_dir / "chain.json").read_text())
    fresh_w3 = connect(node_factory().url)  # type: ignore[operator]
    assert not is_deployed(fresh_w3, deployment)
    redeployed, deployed_now = load_or_deploy(fresh_w3, fresh_state)
    assert deployed_now
    assert is_deployed(fresh_w3, redeployed)
    assert Deployment.from_json(json.loads((fresh_state / "chain.json").read_text())) == redeployed


def test_fund_account_stakes_the_deposit(w3: Web3, deployment: Deployment, admin: LocalAccount) -> None:
    account: LocalAccount = Account.create()
    started = time.perf_counter()
    fund_account(w3, deployment, admin, account, rlc_nrlc=1000 * 10**9, deposit_nrlc=500 * 10**9)
    elapsed_ms = (time.perf_counter() - started) * 1e3
    balances = account_balances(w3, deployment, account.address)
    assert balances["stake_nrlc"] == 500 * 10**9
    assert balances["rlc_nrlc"] == 500 * 10**9
    assert balances["locked_nrlc"] == 0
    assert 99 * 10**18 < balances["eth_wei"] < 100 * 10**18
    print(f"fund_account: {elapsed_ms:.0f} ms")


def test_create_workerpool_and_app_are_registered(
    w3: Web3, deployment: Deployment, funded_account: LocalAccount
) -> None:
    pool = create_workerpool(w3, deployment, funded_account, "test-pool")
    wp_registry = w3.eth.contract(
        address=to_checksum_address(deployment.workerpool_registry), abi=workerpool_registry_abi()
    )
    assert wp_registry.functions.isRegistered(to_checksum_address(pool)).call()
    assert pool == pool.lower()
    entry = w3.eth.contract(address=to_checksum_address(pool), abi=workerpool_abi())
    assert entry.functions.owner().call().lower() == funded_account.address.lower()
    assert create_workerpool(w3, deployment, funded_account, "test-pool") == pool  # idempotent

    app = create_app(
        w3, deployment, funded_account, name="hello", image="docker.io/iexechub/python-hello-world:8.0.0"
    )
    app_registry = w3.eth.contract(
        address=to_checksum_address(deployment.app_registry), abi=app_registry_abi()
    )
    assert app_registry.functions.isRegistered(to_checksum_address(app)).call()
    block = w3.eth.block_number
    again = create_app(
        w3, deployment, funded_account, name="hello", image="docker.io/iexechub/python-hello-world:8.0.0"
    )
    assert again == app and w3.eth.block_number == block  # CREATE2 collision avoided, nothing sent
    info = (
        w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())
        .functions.viewApp(to_checksum_address(app))
        .call()
    )
    assert info[2] == "DOCKER" and info[3] == b"docker.io/iexechub/python-hello-world:8.0.0"


def test_increase_time_moves_block_timestamp(w3: Web3, deployment: Deployment) -> None:
    before = w3.eth.get_block("latest")["timestamp"]
    increase_time(w3, 3600)
    assert w3.eth.get_block("latest")["timestamp"] >= before + 3600


def test_start_refuses_a_busy_port(hardhat_node: HardhatNode, tmp_path: Path) -> None:
    port = int(hardhat_node.url.rsplit(":", 1)[1])
    with pytest.raises(ConfigError, match="already answers"):
        start_hardhat_node(port=port, log_path=tmp_path / "node.log")
