"""A real Hardhat node with PoCo deployed once per session (skipped locally without npm ci, failed in CI)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.services import require_service
from workerpool.chain.artifacts import node_modules_dir
from workerpool.chain.devchain.accounts import fund_account
from workerpool.chain.devchain.deploy import DEV_DEPLOYER_KEY, Deployment, load_or_deploy
from workerpool.chain.devchain.node import HardhatNode, start_hardhat_node
from workerpool.chain.node import connect
from workerpool.common.errors import ConfigError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hardhat_available() -> bool:
    try:
        modules = node_modules_dir()
    except ConfigError:
        return False
    return (
        shutil.which("node") is not None and (modules / "hardhat" / "internal" / "cli" / "cli.js").is_file()
    )


@pytest.fixture(scope="session")
def node_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Start extra Hardhat nodes on free ports; all are stopped at the end of the session."""
    require_service(_hardhat_available(), "Hardhat node (npm ci)")
    started: list[HardhatNode] = []

    def start() -> HardhatNode:
        log_path = tmp_path_factory.mktemp("hardhat") / "node.log"
        node = start_hardhat_node(port=free_port(), log_path=log_path)
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


@pytest.fixture(scope="session")
def hardhat_node(node_factory: object) -> HardhatNode:
    return node_factory()  # type: ignore[operator, no-any-return]


@pytest.fixture(scope="session")
def w3(hardhat_node: HardhatNode) -> Web3:
    return connect(hardhat_node.url)


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def deployment(w3: Web3, state_dir: Path) -> Deployment:
    deployment, deployed_now = load_or_deploy(w3, state_dir)
    assert deployed_now
    return deployment


@pytest.fixture(scope="session")
def admin() -> LocalAccount:
    account: LocalAccount = Account.from_key(DEV_DEPLOYER_KEY)
    return account


@pytest.fixture
def funded_account(w3: Web3, deployment: Deployment, admin: LocalAccount) -> LocalAccount:
    """A brand-new account with 100 ETH, 500 RLC in its wallet and 500 RLC staked in the hub."""
    account: LocalAccount = Account.create()
    fund_account(w3, deployment, admin, account)
    return account
