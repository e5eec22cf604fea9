"""HTTP client of the scheduler, with login (challenge → JWT) and a new login on any 401."""

from __future__ import annotations

import logging
import threading
from typing import Any

import httpx

from workerpool.common.authorization import sign_hash
from workerpool.common.errors import SchedulerError, SchedulerUnreachable
from workerpool.common.messages import (
    NotificationBatch,
    PublicConfiguration,
    ReplicateStatusUpdate,
    TaskNotification,
    UpdateAnswer,
    WorkerModel,
)

__all__ = ["SchedulerClient"]

log = logging.getLogger(__name__)


class SchedulerClient:
    """One worker's session with its scheduler. ``transport`` is swappable for tests."""

    def __init__(self, base_url: str, account: Any, *, timeout_s: float = 30,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self._account = account
        self.wallet = account.address.lower()
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)
        self._token = ""
        self._login_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        extra_headers = kwargs.pop("headers", {})
        for attempt in range(2):
            headers = {**extra_headers, **({"Authorization": f"Bearer {self._token}"} if auth else {})}
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as e:
                raise SchedulerUnreachable(f"scheduler at {self.base_url} is unreachable ({e.__class__.__name__}: "
                                           f"{e}); check IEXEC_CORE_HOST/IEXEC_CORE_PORT and that it runs") from e
            if response.status_code == 401 and auth and attempt == 0:
                self.login()
                continue
            return response
        return response

    def login(self) -> None:
        with self._login_lock:
            challenge = self._request("GET", "/workers/challenge", auth=False,
                                      params={"walletAddress": self.wallet})
            _expect(challenge, 200, "challenge")
            signature = sign_hash(challenge.text.strip(), self._account.key)
            answer = self._request("POST", "/workers/login", auth=False, params={"walletAddress": self.wallet},
                                   json={"value": signature})
            _expect(answer, 200, "login")
            self._token = answer.text.strip()
            log.info("logged in to %s [worker=%s]", self.base_url, self.wallet)

    def config(self) -> PublicConfiguration:
        response = self._request("GET", "/workers/config", auth=False)
        _expect(response, 200, "config")
        return PublicConfiguration.model_validate(response.json())

    def register(self, model: WorkerModel) -> None:
        _expect(self._request("POST", "/workers/register", json=model.wire()), 200, "register")

    def ping(self) -> str:
        response = self._request("POST", "/workers/ping")
        _expect(response, 200, "ping")
        return response.text

    def available(self, block_number: int) -> dict[str, Any] | None:
        response = self._request("GET", "/replicates/available", params={"blockNumber": block_number})
        if response.status_code == 204:
            return None
        _expect(response, 200, "ask for a replicate")
        return dict(response.json()["workerpoolAuthorization"])

    def interrupted(self) -> list[TaskNotification]:
        response = self._request("GET", "/replicates/interrupted")
        _expect(response, 200, "recovery")
        return [TaskNotification.model_validate(n) for n in response.json()]

    def update_status(self, chain_task_id: str, update: ReplicateStatusUpdate) -> tuple[int, UpdateAnswer]:
        response = self._request("POST", f"/replicates/{chain_task_id}/updateStatus", json=update.wire())
        if response.status_code >= 500 or response.status_code == 401:
            raise SchedulerError(f"status update answered {response.status_code}: {response.text[:200]}")
        return response.status_code, UpdateAnswer.model_validate(response.json())

    def notifications(self, cursor: int, wait_s: float) -> NotificationBatch:
        response = self._request("GET", "/workers/notifications", params={"cursor": cursor, "waitS": wait_s},
                                 timeout=wait_s + 15)
        _expect(response, 200, "notifications")
        return NotificationBatch.model_validate(response.json())

    def upload_result(self, chain_task_id: str, zip_bytes: bytes) -> str:
        response = self._request("PUT", f"/results/{chain_task_id}", content=zip_bytes,
                                 headers={"Content-Type": "application/zip"})
        _expect(response, 200, "result upload")
        return str(response.json()["resultLink"])


def _expect(response: httpx.Response, code: int, what: str) -> None:
    if response.status_code != code:
        raise SchedulerError(f"{what} answered HTTP {response.status_code}: {response.text[:300]}")
