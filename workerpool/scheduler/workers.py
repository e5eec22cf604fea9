"""Registered workers: registration, liveness (ping), and what each one is computing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workerpool.common.messages import WorkerModel
from workerpool.common.statuses import ReplicateStatus

from .db.engine import Database
from .db.tables import Replicate, Worker, utcnow
from .workflow import COMPUTING_PHASE

__all__ = ["WorkerRegistry"]


class WorkerRegistry:
    def __init__(self, db: Database, *, lost_after_s: float):
        self.db = db
        self.lost_after_s = lost_after_s

    def register(self, wallet: str, model: WorkerModel) -> dict[str, Any]:
        """Create or refresh the worker (the JWT's wallet wins over the body's)."""
        with self.db.session() as s:
            worker = s.get(Worker, wallet) or Worker(wallet=wallet, name=model.name)
            worker.name, worker.os, worker.cpu = model.name, model.os, model.cpu
            worker.cpu_nb, worker.memory_size_gb = model.cpu_nb, model.memory_size
            worker.gpu_enabled, worker.tee_enabled = model.gpu_enabled, model.tee_enabled
            worker.max_nb_tasks = 1 if model.gpu_enabled else model.cpu_nb
            worker.last_alive = utcnow()
            s.add(worker)
        return {"walletAddress": wallet, "name": model.name, "maxNbTasks": 1 if model.gpu_enabled else model.cpu_nb}

    def ping(self, wallet: str) -> None:
        with self.db.session() as s:
            worker = s.get(Worker, wallet)
            if worker is not None:
                worker.last_alive = utcnow()

    def computing(self, wallet: str) -> list[str]:
        with self.db.session() as s:
            rows = s.execute(select(Replicate.chain_task_id, Replicate.status).where(Replicate.worker == wallet))
            return [task for task, status in rows if ReplicateStatus(status) in COMPUTING_PHASE]

    def is_alive(self, worker: Worker) -> bool:
        # A worker that never pinged is not alive (spec/core-spec.md §12.5).
        return worker.last_alive is not None and utcnow() - worker.last_alive < timedelta(seconds=self.lost_after_s)

    def list_view(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            workers = s.scalars(select(Worker).order_by(Worker.registered_at)).all()
            return [{"walletAddress": w.wallet, "name": w.name, "cpuNb": w.cpu_nb, "maxNbTasks": w.max_nb_tasks,
                     "alive": self.is_alive(w),
                     "lastAlive": w.last_alive.isoformat() + "Z" if w.last_alive else None,
                     "computing": self.computing(w.wallet)} for w in workers]
