"""Database tables of the scheduler (SQLAlchemy 2; SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "Task", "TaskStatusEntry", "Replicate", "ReplicateStatusEntry", "Worker", "Notification",
           "Setting", "PublishedOrder", "TaskLog", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("deal_id", "task_index", name="unique_deal_idx"),)

    chain_task_id: Mapped[str] = mapped_column(String(66), primary_key=True)
    deal_id: Mapped[str] = mapped_column(String(66), index=True)
    task_index: Mapped[int] = mapped_column(Integer)
    deal_block: Mapped[int] = mapped_column(BigInteger)
    app: Mapped[str] = mapped_column(String(42))
    image: Mapped[str] = mapped_column(Text)
    args: Mapped[str] = mapped_column(Text, default="")
    trust: Mapped[int] = mapped_column(Integer)
    category: Mapped[int] = mapped_column(Integer)
    tag: Mapped[str] = mapped_column(String(66))
    max_execution_time_s: Mapped[int] = mapped_column(Integer)
    contribution_deadline: Mapped[int] = mapped_column(BigInteger)
    final_deadline: Mapped[int] = mapped_column(BigInteger)
    reveal_deadline: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(32), index=True)
    initialization_block: Mapped[int] = mapped_column(BigInteger, default=0)
    consensus: Mapped[str] = mapped_column(String(66), default="")
    consensus_block: Mapped[int] = mapped_column(BigInteger, default=0)
    uploading_worker: Mapped[str] = mapped_column(String(42), default="")
    result_link: Mapped[str] = mapped_column(Text, default="")
    callback_data: Mapped[str] = mapped_column(Text, default="")
    result_digest: Mapped[str] = mapped_column(String(66), default="")
    failure_reason: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    history: Mapped[list[TaskStatusEntry]] = relationship(order_by="TaskStatusEntry.id", lazy="selectin")
    replicates: Mapped[list[Replicate]] = relationship(order_by="Replicate.id", lazy="selectin")


class TaskStatusEntry(Base):
    __tablename__ = "task_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_task_id: Mapped[str] = mapped_column(ForeignKey("task.chain_task_id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    tx_hash: Mapped[str] = mapped_column(String(66), default="")
    block_number: Mapped[int] = mapped_column(BigInteger, default=0)


class Replicate(Base):
    __tablename__ = "replicate"
    __table_args__ = (UniqueConstraint("chain_task_id", "worker", name="one_replicate_per_worker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_task_id: Mapped[str] = mapped_column(ForeignKey("task.chain_task_id"), index=True)
    worker: Mapped[str] = mapped_column(String(42), index=True)
    status: Mapped[str] = mapped_column(String(40), index=True)
    contribution_hash: Mapped[str] = mapped_column(String(66), default="")
    worker_weight: Mapped[int] = mapped_column(Integer, default=0)
    result_link: Mapped[str] = mapped_column(Text, default="")
    callback_data: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    history: Mapped[list[ReplicateStatusEntry]] = relationship(order_by="ReplicateStatusEntry.id",
                                                               lazy="selectin")


class ReplicateStatusEntry(Base):
    __tablename__ = "replicate_status"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    replicate_id: Mapped[int] = mapped_column(ForeignKey("replicate.id"), index=True)
    status: Mapped[str] = mapped_column(String(40))
    modifier: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(64), default="")
    date: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Worker(Base):
    __tablename__ = "worker"

    wallet: Mapped[str] = mapped_column(String(42), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    os: Mapped[str] = mapped_column(String(64), default="")
    cpu: Mapped[str] = mapped_column(String(64), default="")
    cpu_nb: Mapped[int] = mapped_column(Integer, default=1)
    max_nb_tasks: Mapped[int] = mapped_column(Integer, default=1)
    memory_size_gb: Mapped[int] = mapped_column(Integer, default=0)
    gpu_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    tee_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_alive: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_demand: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    registered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Notification(Base):
    """Durable feed of instructions to workers; ``worker`` empty = every worker of the task."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_task_id: Mapped[str] = mapped_column(String(66), index=True)
    worker: Mapped[str] = mapped_column(String(42), default="", index=True)
    type: Mapped[str] = mapped_column(String(40))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Setting(Base):
    """Small persistent key/values (deal-scan cursor)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PublishedOrder(Base):
    __tablename__ = "published_order"

    order_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    category: Mapped[int] = mapped_column(Integer, index=True)
    order: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TaskLog(Base):
    __tablename__ = "task_log"
    __table_args__ = (UniqueConstraint("chain_task_id", "worker", name="one_log_per_worker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_task_id: Mapped[str] = mapped_column(String(66), index=True)
    worker: Mapped[str] = mapped_column(String(42))
    stdout: Mapped[str] = mapped_column(Text, default="")
    stderr: Mapped[str] = mapped_column(Text, default="")
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
