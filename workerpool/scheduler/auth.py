"""Worker authentication: a one-time challenge signed by the worker's wallet, then a JWT.

The challenge is 32 random bytes as 0x-hex; the worker signs it EIP-191 (personal-sign), so a login
signature can never be replayed as a transaction. Tokens are HS256 with a per-process key: a scheduler
restart invalidates them and workers log in again on the 401.
"""

from __future__ import annotations

import os
import threading
import time

import jwt

from workerpool.common.authorization import recover_hash_signer
from workerpool.common.hashing import normalize_address

__all__ = ["WorkerAuth"]

_AUDIENCE = "workerpool-scheduler"


class WorkerAuth:
    def __init__(self, *, token_ttl_s: float = 3600, challenge_ttl_s: float = 300, clock=time.time):  # type: ignore[no-untyped-def]
        self._key = os.urandom(64)
        self._token_ttl_s = token_ttl_s
        self._challenge_ttl_s = challenge_ttl_s
        self._clock = clock
        self._challenges: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def challenge(self, wallet: str) -> str:
        """Current challenge for ``wallet`` (the same until used or expired)."""
        wallet = normalize_address(wallet)
        now = self._clock()
        with self._lock:
            existing = self._challenges.get(wallet)
            if existing and existing[1] > now:
                return existing[0]
            value = "0x" + os.urandom(32).hex()
            self._challenges[wallet] = (value, now + self._challenge_ttl_s)
            return value

    def login(self, wallet: str, signature: str) -> str | None:
        """A JWT if ``signature`` signs the wallet's pending challenge, else None (challenge kept)."""
        wallet = normalize_address(wallet)
        with self._lock:
            pending = self._challenges.get(wallet)
            if not pending or pending[1] <= self._clock():
                return None
            if recover_hash_signer(pending[0], signature) != wallet:
                return None
            del self._challenges[wallet]
        now = int(self._clock())
        claims = {"sub": wallet, "aud": _AUDIENCE, "iat": now, "exp": now + int(self._token_ttl_s)}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def wallet_of(self, authorization_header: str | None) -> str | None:
        """Wallet of a valid ``Bearer <jwt>`` header, else None."""
        if not authorization_header or not authorization_header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(authorization_header.removeprefix("Bearer "), self._key, algorithms=["HS256"],
                                audience=_AUDIENCE)
        except jwt.PyJWTError:
            return None
        return str(claims["sub"])
