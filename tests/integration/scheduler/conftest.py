"""Fixtures of the scheduler API tests: a fresh workerpool per test on the session chain, its scheduler
served by a TestClient (lifespan on, so the engine thread runs), a requester with an app, and workers.

Every factory cleans up what it built: TestClients are closed, database engines disposed, PostgreSQL
schemas dropped.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from starlette.exceptions import StarletteDeprecationWarning
from web3 import Web3

from tests.services import require_service
from workerpool.chain.devchain.accounts import create_app, create_workerpool, fund_account, sender_for
from workerpool.chain.devchain.deploy import Deployment
from workerpool.chain.devchain.node import HardhatNode
from workerpool.chain.poco import PocoClient
from workerpool.chain.wallet import create_wallet, load_wallet
from workerpool.common.orders import AppOrder, Domain, sign_order
from workerpool.scheduler.app import SchedulerServices
from workerpool.scheduler.app import create_app as create_scheduler_app
from workerpool.scheduler.config import SchedulerSettings

from .kit import ChainWorker, Market, WorkerClient

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 in its TestClient; the project pins httpx, which still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "scheduler-test"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


class RunningScheduler:
    """One scheduler process in miniature: its services and a TestClient whose lifespan runs the engine."""

    def __init__(self, settings: SchedulerSettings):
        self.services = SchedulerServices(settings)
        self.http = TestClient(create_scheduler_app(self.services))
        self.http.__enter__()
        self.running = True

    def stop(self) -> None:
        """Stop the API and the engine thread (lifespan exit), then release the database connections."""
        if self.running:
            self.running = False
            self.http.__exit__(None, None, None)
            self.services.db.engine.dispose()


# ---- database ------------------------------------------------------------------------------------------------
def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES, connect_timeout=2):
            return True
    except Exception:
        return False


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """The scheduler's IEXEC_CORE_DATABASE_URL: "" (SQLite in the state dir) or a fresh PostgreSQL schema.

    Parametrize a test with ``@pytest.mark.parametrize("database", [...], indirect=True)`` to run it on both.
    """
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield ""
        return
    require_service(_postgres_available(), "PostgreSQL at 127.0.0.1:5432 (database test, user postgres)")
    import psycopg

    schema = f"wp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


# ---- chain actors --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def market(w3: Web3, deployment: Deployment, admin: LocalAccount) -> Market:
    """A funded requester who registered one app and signed an app order for it (shared by all tests)."""
    requester: LocalAccount = Account.create()
    fund_account(w3, deployment, admin, requester)
    image = "registry.example/scheduler-api-test:1.0"
    app = create_app(w3, deployment, requester, name="scheduler-api-test", image=image)
    domain = Domain(int(w3.eth.chain_id), deployment.hub)
    order = sign_order(AppOrder(app=app, appprice=0, volume=1_000_000), domain, requester.key)
    poco = PocoClient(w3, deployment.hub, sender=sender_for(w3, requester))
    return Market(requester=requester, poco=poco, domain=domain, app_order=order, image=image)


@pytest.fixture
def settings(w3: Web3, deployment: Deployment, admin: LocalAccount, hardhat_node: HardhatNode, tmp_path: Path,
             database: str) -> SchedulerSettings:
    """A brand-new workerpool owned by a funded keystore wallet, and the scheduler settings serving it."""
    wallet_path = tmp_path / "scheduler-wallet.json"
    create_wallet(wallet_path, PASSWORD, kdf="pbkdf2")
    owner = load_wallet(wallet_path, PASSWORD)
    fund_account(w3, deployment, admin, owner)
    pool = create_workerpool(w3, deployment, owner, f"scheduler-api-test {uuid.uuid4().hex[:8]}")
    env = {
        "IEXEC_CORE_WALLET_PATH": str(wallet_path),
        "IEXEC_CORE_WALLET_PASSWORD": PASSWORD,
        "IEXEC_PRIVATE_CHAIN_ADDRESS": hardhat_node.url,
        "IEXEC_HUB_ADDRESS": deployment.hub,
        "POOL_ADDRESS": pool,
        "IEXEC_CORE_STATE_DIR": str(tmp_path / "scheduler"),
        "IEXEC_ASK_REPLICATE_PERIOD": "100",
        "IEXEC_CORE_CHAIN_POLL_PERIOD_S": "0.2",
        "IEXEC_START_BLOCK_NUMBER": str(w3.eth.block_number),
        "IEXEC_CORE_DATABASE_URL": database,
    }
    return SchedulerSettings.from_env(env)


@pytest.fixture
def start_scheduler(settings: SchedulerSettings) -> Iterator[Callable[[], RunningScheduler]]:
    """Factory: start a scheduler on the test's pool and database (again after a stop = a restart)."""
    started: list[RunningScheduler] = []

    def start() -> RunningScheduler:
        running = RunningScheduler(settings)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def scheduler(start_scheduler: Callable[[], RunningScheduler]) -> RunningScheduler:
    return start_scheduler()


@pytest.fixture
def new_worker(scheduler: RunningScheduler, fund: Callable[[LocalAccount], None]) -> Callable[..., WorkerClient]:
    """Factory: a worker wallet, logged in and registered unless told otherwise; ``funded`` for on-chain steps."""

    def make(*, funded: bool = False, register: bool = True) -> WorkerClient:
        account: LocalAccount = Account.create()
        if funded:
            fund(account)
        worker = WorkerClient(scheduler.http, account)
        assert worker.login().status_code == 200
        if register:
            response = worker.register()
            assert response.status_code == 200, response.text
        return worker

    return make


@pytest.fixture
def fund(w3: Web3, deployment: Deployment, admin: LocalAccount) -> Callable[[LocalAccount], None]:
    """Give an account ETH and a staked RLC deposit (what a worker needs to contribute)."""
    return lambda account: fund_account(w3, deployment, admin, account)


@pytest.fixture
def chain_worker(w3: Web3, deployment: Deployment) -> Callable[[WorkerClient], ChainWorker]:
    return lambda worker: ChainWorker(w3, deployment.hub, worker.account)
