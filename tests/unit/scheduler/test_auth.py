"""Worker authentication: one-time EIP-191 challenge, then a JWT (injected clock)."""

from __future__ import annotations

import time

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from workerpool.common.authorization import sign_hash
from workerpool.scheduler.auth import WorkerAuth


class Clock:
    def __init__(self, now_s: float) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def clock() -> Clock:
    # JWT expiry is checked by PyJWT against the real time, so the fake clock starts at the real time.
    return Clock(time.time())


@pytest.fixture
def auth(clock: Clock) -> WorkerAuth:
    return WorkerAuth(token_ttl_s=3600, challenge_ttl_s=300, clock=clock)


@pytest.fixture
def worker() -> LocalAccount:
    account: LocalAccount = Account.create()
    return account


def _login(auth: WorkerAuth, worker: LocalAccount) -> str | None:
    challenge = auth.challenge(worker.address)
    return auth.login(worker.address, sign_hash(challenge, worker.key))


def test_challenge_is_stable_until_it_expires(auth: WorkerAuth, clock: Clock, worker: LocalAccount) -> None:
    first = auth.challenge(worker.address)

    assert first.startswith("0x") and len(first) == 66
    assert auth.challenge(worker.address.lower()) == first  # same wallet, whatever its case
    clock.now_s += 299
    assert auth.challenge(worker.address) == first
    clock.now_s += 1
    assert auth.challenge(worker.address) != first


def test_each_wallet_has_its_own_challenge(auth: WorkerAuth, worker: LocalAccount) -> None:
    assert auth.challenge(worker.address) != auth.challenge(Account.create().address)


def test_login_with_the_signed_challenge_gives_a_token_for_the_wallet(auth: WorkerAuth, worker: LocalAccount) -> None:
    token = _login(auth, worker)

    assert token is not None
    assert auth.wallet_of(f"Bearer {token}") == worker.address.lower()


def test_wrong_signer_is_refused_and_the_challenge_kept(auth: WorkerAuth, worker: LocalAccount) -> None:
    challenge = auth.challenge(worker.address)

    assert auth.login(worker.address, sign_hash(challenge, Account.create().key)) is None
    assert auth.login(worker.address, "0xdeadbeef") is None
    assert auth.challenge(worker.address) == challenge
    assert auth.login(worker.address, sign_hash(challenge, worker.key)) is not None


def test_a_signature_of_another_message_is_refused(auth: WorkerAuth, worker: LocalAccount) -> None:
    auth.challenge(worker.address)

    assert auth.login(worker.address, sign_hash("0x" + "00" * 32, worker.key)) is None


def test_replay_after_success_is_refused(auth: WorkerAuth, worker: LocalAccount) -> None:
    challenge = auth.challenge(worker.address)
    signature = sign_hash(challenge, worker.key)
    assert auth.login(worker.address, signature) is not None

    assert auth.login(worker.address, signature) is None
    assert auth.challenge(worker.address) != challenge  # a new one-time challenge


def test_login_without_a_pending_challenge_is_refused(auth: WorkerAuth, worker: LocalAccount) -> None:
    assert auth.login(worker.address, sign_hash("0x" + "11" * 32, worker.key)) is None


def test_expired_challenge_is_refused(auth: WorkerAuth, clock: Clock, worker: LocalAccount) -> None:
    challenge = auth.challenge(worker.address)
    clock.now_s += 300

    assert auth.login(worker.address, sign_hash(challenge, worker.key)) is None


def test_expired_token_is_refused(worker: LocalAccount) -> None:
    past = Clock(time.time() - 7200)
    auth = WorkerAuth(token_ttl_s=3600, clock=past)

    token = _login(auth, worker)

    assert token is not None  # issued two hours ago, valid for one
    assert auth.wallet_of(f"Bearer {token}") is None


def test_token_of_another_scheduler_process_is_refused(auth: WorkerAuth, clock: Clock, worker: LocalAccount) -> None:
    token = _login(WorkerAuth(clock=clock), worker)

    assert token is not None
    assert auth.wallet_of(f"Bearer {token}") is None  # per-process key: a restart invalidates tokens


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Bearer garbage", "Basic abc", "bearer x.y.z"])
def test_garbage_headers_are_refused(auth: WorkerAuth, header: str | None) -> None:
    assert auth.wallet_of(header) is None


def test_token_without_the_bearer_prefix_is_refused(auth: WorkerAuth, worker: LocalAccount) -> None:
    token = _login(auth, worker)

    assert token is not None
    assert auth.wallet_of(token) is None
