"""HTTP routes of the scheduler (routes only: every decision lives in the services)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from workerpool import __version__
from workerpool.common.hashing import normalize_address, normalize_bytes32
from workerpool.common.messages import (
    LoginRequest,
    NotificationBatch,
    PublicConfiguration,
    ReplicateStatusUpdate,
    ReplicateTaskSummary,
    WorkerModel,
)

from ..results import MAX_RESULT_BYTES
from . import views

if TYPE_CHECKING:
    from ..app import SchedulerServices

__all__ = ["build_router"]


def _address(value: str, what: str) -> str:
    try:
        return normalize_address(value)
    except ValueError as e:
        raise HTTPException(400, f"{what} must be a 0x-prefixed 20-byte address") from e


def _task_id(value: str) -> str:
    try:
        return normalize_bytes32(value)
    except ValueError as e:
        raise HTTPException(400, "chainTaskId must be a 0x-prefixed 32-byte hex string") from e


def current_wallet(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The wallet of the caller's JWT (401 when missing, forged or expired)."""
    found = request.app.state.services.auth.wallet_of(authorization)
    if found is None:
        raise HTTPException(401, "missing or expired token: log in again (GET /workers/challenge)")
    return str(found)


Wallet = Annotated[str, Depends(current_wallet)]


def build_router(services: SchedulerServices) -> APIRouter:  # noqa: C901 - one flat list of routes
    router = APIRouter()

    @router.get("/version", response_class=PlainTextResponse)
    def version() -> str:
        return __version__

    @router.get("/workers/config", response_model=None)
    def config() -> dict[str, Any]:
        return services.public_config().wire()

    @router.get("/workers/challenge", response_class=PlainTextResponse)
    def challenge(walletAddress: str) -> str:  # noqa: N803 - wire name
        return services.auth.challenge(_address(walletAddress, "walletAddress"))

    @router.post("/workers/login", response_class=PlainTextResponse)
    def login(walletAddress: str, body: LoginRequest) -> str:  # noqa: N803 - wire name
        token = services.auth.login(_address(walletAddress, "walletAddress"), body.value)
        if token is None:
            raise HTTPException(401, "signature does not match the pending challenge of this wallet")
        return token

    @router.post("/workers/register", response_model=None)
    def register(body: WorkerModel, who: Wallet) -> dict[str, Any]:
        return services.workers.register(who, body)

    @router.post("/workers/ping", response_class=PlainTextResponse)
    def ping(who: Wallet) -> str:
        services.workers.ping(who)
        return services.session_id()

    @router.get("/workers/computing")
    def computing(who: Wallet) -> list[str]:
        return services.workers.computing(who)

    @router.get("/workers/notifications", response_model=None)
    async def notifications(who: Wallet, cursor: int = -1,
                            waitS: Annotated[float, Query(ge=0, le=60)] = 20) -> dict[str, Any]:  # noqa: N803
        if cursor < 0:
            return NotificationBatch(notifications=[], cursor=services.notifications.head()).wire()
        found, new_cursor = await services.notifications.wait(who, cursor, waitS)
        return NotificationBatch(notifications=found, cursor=new_cursor).wire()

    @router.get("/replicates/available", response_model=None)
    def available(who: Wallet, blockNumber: int = 0) -> Any:  # noqa: N803 - wire name
        if not services.healthy():
            raise HTTPException(503, "the scheduler cannot reach its chain node")
        auth = services.supply.available(who) if blockNumber > 0 else None
        if auth is None:
            return Response(status_code=204)
        return ReplicateTaskSummary(workerpool_authorization=auth.to_json()).wire()

    @router.get("/replicates/interrupted", response_model=None)
    def interrupted(who: Wallet) -> list[dict[str, Any]]:
        return [n.wire() for n in services.recovery.interrupted(who)]

    @router.post("/replicates/{chain_task_id}/updateStatus", response_model=None)
    def update_status(chain_task_id: str, body: ReplicateStatusUpdate, who: Wallet) -> JSONResponse:
        code, answer = services.updater.update(who, _task_id(chain_task_id), body)
        return JSONResponse(answer.wire(), status_code=code)

    @router.put("/results/{chain_task_id}", response_model=None)
    async def upload_result(chain_task_id: str, request: Request, who: Wallet) -> dict[str, Any]:
        data = await request.body()
        if not data or len(data) > MAX_RESULT_BYTES:
            raise HTTPException(413 if data else 400, f"result must be a non-empty zip of at most "
                                f"{MAX_RESULT_BYTES} bytes")
        problem = services.accept_result(who, _task_id(chain_task_id), data)
        if problem:
            raise HTTPException(403, problem)
        return {"resultLink": services.result_link(_task_id(chain_task_id))}

    @router.get("/results/{chain_task_id}", response_model=None)
    def download_result(chain_task_id: str) -> Response:
        data = services.results.load(_task_id(chain_task_id))
        if data is None:
            raise HTTPException(404, "no result stored for this task (yet)")
        return Response(data, media_type="application/zip")

    @router.get("/tasks/{chain_task_id}", response_model=None)
    def task(chain_task_id: str) -> dict[str, Any]:
        found = views.task_view(services.db, _task_id(chain_task_id))
        if found is None:
            raise HTTPException(404, "unknown task: the scheduler has not seen its deal (yet)")
        return found

    @router.get("/tasks", response_model=None)
    def tasks(limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
        return views.task_list(services.db, limit)

    @router.get("/workers", response_model=None)
    def workers() -> list[dict[str, Any]]:
        return services.workers.list_view()

    @router.get("/orders/workerpool", response_model=None)
    def workerpool_orders(category: int = 0) -> list[dict[str, Any]]:
        if category not in services.settings.categories:
            raise HTTPException(404, f"this pool sells categories {services.settings.categories}, not {category}")
        return services.orders.open_orders(category)

    @router.get("/actuator/health", response_model=None)
    def health() -> JSONResponse:
        ok = services.healthy()
        return JSONResponse({"status": "UP" if ok else "OUT_OF_SERVICE",
                             "latestBlock": services.clock.latest_block}, status_code=200 if ok else 503)

    @router.get("/", response_model=None)
    def root() -> dict[str, Any]:
        cfg: PublicConfiguration = services.public_config()
        return {"service": "workerpool scheduler", "version": __version__, "pool": cfg.workerpool_address}

    return router
