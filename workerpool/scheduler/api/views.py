"""Read models of the task feedback API (``GET /tasks``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..db.engine import Database
from ..db.tables import Replicate, Task

__all__ = ["task_view", "task_list"]


def _replicate(r: Replicate) -> dict[str, Any]:
    return {
        "walletAddress": r.worker, "currentStatus": r.status, "contributionHash": r.contribution_hash,
        "statusUpdateList": [{"status": e.status, "date": e.date.isoformat() + "Z", "modifier": e.modifier,
                              **({"cause": e.cause} if e.cause else {})} for e in r.history],
    }


def _task(t: Task, with_replicates: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "chainTaskId": t.chain_task_id, "chainDealId": t.deal_id, "taskIndex": t.task_index,
        "currentStatus": t.status, "image": t.image, "commandLine": t.args, "trust": t.trust,
        "category": t.category, "maxExecutionTime": t.max_execution_time_s,
        "contributionDeadline": t.contribution_deadline, "revealDeadline": t.reveal_deadline,
        "finalDeadline": t.final_deadline, "consensus": t.consensus, "resultLink": t.result_link,
        "resultDigest": t.result_digest, "uploadingWorkerWalletAddress": t.uploading_worker,
        "failureReason": t.failure_reason,
        "dateStatusList": [{"status": e.status, "date": e.date.isoformat() + "Z",
                            **({"txHash": e.tx_hash} if e.tx_hash else {})} for e in t.history],
    }
    if with_replicates:
        view["replicates"] = [_replicate(r) for r in t.replicates]
    return view


def task_view(db: Database, chain_task_id: str) -> dict[str, Any] | None:
    with db.session() as s:
        task = s.get(Task, chain_task_id)
        return _task(task, True) if task else None


def task_list(db: Database, limit: int) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(select(Task).order_by(Task.created_at.desc()).limit(limit)).all()
        return [_task(t, False) for t in rows]
