"""Wire messages shared by the scheduler and its workers (JSON, camelCase on the wire).

They mirror the iExec core's resources and vocabulary (spec/core-spec.md §3); the transport is plain HTTP
with a long-poll notification feed instead of STOMP.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .statuses import (
    ReplicateStatus,
    ReplicateStatusCause,
    TaskAbortCause,
    TaskNotificationType,
)

__all__ = [
    "WireModel",
    "PublicConfiguration",
    "WorkerModel",
    "ChainReceipt",
    "ComputeLogs",
    "ReplicateStatusDetails",
    "ReplicateStatusUpdate",
    "UpdateAnswer",
    "TaskNotificationExtra",
    "TaskNotification",
    "NotificationBatch",
    "ReplicateTaskSummary",
    "LoginRequest",
    "result_link",
]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class PublicConfiguration(WireModel):
    """What a worker needs to know about the pool (``GET /workers/config``)."""

    workerpool_address: str
    scheduler_public_address: str
    chain_id: int
    chain_node_url: str
    iexec_hub_address: str
    result_repository_url: str
    ask_for_replicate_period_ms: int
    required_worker_version: str = ""
    block_time_s: float = 1.0


class WorkerModel(WireModel):
    """Registration body (``POST /workers/register``)."""

    name: str
    wallet_address: str = ""
    os: str = ""
    cpu: str = ""
    cpu_nb: int = Field(ge=1)
    memory_size: int = Field(default=0, ge=0)
    gpu_enabled: bool = False
    tee_enabled: bool = False
    tdx_enabled: bool = False


class LoginRequest(WireModel):
    value: str


class ChainReceipt(WireModel):
    block_number: int
    tx_hash: str


class ComputeLogs(WireModel):
    wallet_address: str | None = None
    stdout: str = ""
    stderr: str = ""


class ReplicateStatusDetails(WireModel):
    chain_receipt: ChainReceipt | None = None
    result_link: str | None = None
    chain_callback_data: str | None = None
    error_message: str | None = None
    cause: ReplicateStatusCause | None = None
    compute_logs: ComputeLogs | None = None
    exit_code: int | None = None
    result_digest: str | None = None


class ReplicateStatusUpdate(WireModel):
    """Body of ``POST /replicates/{chainTaskId}/updateStatus``."""

    status: ReplicateStatus
    details: ReplicateStatusDetails | None = None


class UpdateAnswer(WireModel):
    """Answer to a status update: the next action, or why the update was refused."""

    next_action: TaskNotificationType | None = None
    accepted: bool = True
    reason: str | None = None


class TaskNotificationExtra(WireModel):
    workerpool_authorization: dict[str, Any] | None = None
    block_number: int = 0
    task_abort_cause: TaskAbortCause | None = None


class TaskNotification(WireModel):
    """One instruction for one task; ``workers_address`` empty means broadcast."""

    id: int = 0
    chain_task_id: str
    workers_address: list[str] = Field(default_factory=list)
    task_notification_type: TaskNotificationType
    task_notification_extra: TaskNotificationExtra | None = None


class NotificationBatch(WireModel):
    """Answer of the long-poll feed: notifications after ``cursor`` and the new cursor."""

    notifications: list[TaskNotification]
    cursor: int


class ReplicateTaskSummary(WireModel):
    """Answer of ``GET /replicates/available``."""

    workerpool_authorization: dict[str, Any]


def result_link(storage: str, location: str) -> str:
    """The result link stored on chain by finalize: ``{"storage": ..., "location": ...}``."""
    import json

    return json.dumps({"storage": storage, "location": location}, separators=(",", ":"))
