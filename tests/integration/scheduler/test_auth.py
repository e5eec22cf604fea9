"""Worker authentication over HTTP: challenge → signature → JWT (spec/core-spec.md §3.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account

from .conftest import RunningScheduler
from .kit import WorkerClient

pytestmark = pytest.mark.chain


def test_forged_login_signature_is_refused_and_the_true_signer_still_logs_in(
        scheduler: RunningScheduler) -> None:
    worker = WorkerClient(scheduler.http, Account.create())
    impostor = Account.create()

    forged = worker.login(signer=impostor)

    assert forged.status_code == 401
    assert "signature does not match" in forged.json()["detail"]
    assert worker.token == ""
    genuine = worker.login()
    assert genuine.status_code == 200, genuine.text
    assert scheduler.http.post("/workers/ping", headers=worker.headers).status_code == 200


def test_registered_worker_is_listed_with_nothing_computing(scheduler: RunningScheduler,
                                                            new_worker: Callable[..., WorkerClient]) -> None:
    worker = new_worker()

    computing = scheduler.http.get("/workers/computing", headers=worker.headers)
    workers = scheduler.http.get("/workers").json()

    assert computing.status_code == 200 and computing.json() == []
    assert [w["walletAddress"] for w in workers] == [worker.wallet]


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer "])
def test_ping_without_a_valid_token_is_401(scheduler: RunningScheduler, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = scheduler.http.post("/workers/ping", headers=headers)

    assert response.status_code == 401
    assert "log in again" in response.json()["detail"]


def test_a_token_signed_by_another_scheduler_is_401(scheduler: RunningScheduler) -> None:
    import jwt

    claims = {"sub": "0x" + "11" * 20, "aud": "workerpool-scheduler", "iat": 0, "exp": 2**40}
    forged = jwt.encode(claims, b"k" * 64, algorithm="HS256")

    response = scheduler.http.post("/workers/ping", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401


@pytest.mark.parametrize("wallet", ["0x1234", "not-an-address", "0x" + "zz" * 20, ""])
def test_malformed_wallet_address_is_400(scheduler: RunningScheduler, wallet: str) -> None:
    challenge = scheduler.http.get("/workers/challenge", params={"walletAddress": wallet})
    login = scheduler.http.post("/workers/login", params={"walletAddress": wallet}, json={"value": "0x00"})

    assert challenge.status_code == 400
    assert "walletAddress" in challenge.json()["detail"]
    assert login.status_code == 400


def test_ping_answers_the_session_id_of_the_public_configuration(scheduler: RunningScheduler,
                                                                 new_worker: Callable[..., WorkerClient]) -> None:
    worker = new_worker()

    response = scheduler.http.post("/workers/ping", headers=worker.headers)

    assert response.status_code == 200
    assert response.text == scheduler.services.session_id()
    assert scheduler.http.get("/workers/config").json()["schedulerPublicAddress"] == scheduler.services.wallet
