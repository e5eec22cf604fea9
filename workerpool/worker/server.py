"""The worker's own HTTP server: health, version, metrics (IEXEC_WORKER_PORT)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from workerpool import __version__

from .metrics import WorkerMetrics

__all__ = ["build_worker_api", "HealthServer"]


def build_worker_api(health: Callable[[], dict[str, Any]], metrics: WorkerMetrics) -> FastAPI:
    app = FastAPI(title="workerpool worker", version=__version__)

    @app.get("/actuator/health")
    def actuator_health() -> JSONResponse:
        body = health()
        return JSONResponse(body, status_code=200 if body["status"] == "UP" else 503)

    @app.get("/version", response_class=PlainTextResponse)
    def version() -> str:
        return __version__

    @app.get("/metrics")
    def durations() -> JSONResponse:
        return JSONResponse({k: {m: (None if v != v else v) for m, v in d.items()}
                             for k, d in metrics.durations().items()})

    @app.get("/actuator/prometheus")
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


class HealthServer:
    def __init__(self, app: FastAPI, *, host: str, port: int):
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, name="health-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
