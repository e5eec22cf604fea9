"""Durable notification feed: the scheduler's push channel to workers, served as an HTTP long poll.

Notifications live in the database, so a scheduler restart loses none; a worker reads everything after
its cursor. Waiters are woken through the event loop as soon as a notification is stored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from workerpool.common.messages import TaskNotification, TaskNotificationExtra
from workerpool.common.statuses import TaskNotificationType

from .db.engine import Database
from .db.tables import Notification, Replicate

__all__ = ["NotificationHub"]

log = logging.getLogger(__name__)


class NotificationHub:
    def __init__(self, db: Database):
        self.db = db
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()

    def publish(self, chain_task_id: str, kind: TaskNotificationType, *, worker: str = "",
                extra: dict[str, Any] | None = None, session: Session | None = None) -> None:
        """Store a notification for ``worker`` (empty = every worker of the task) and wake waiters.

        With ``session``, the notification joins the caller's unit of work (one writer at a time on SQLite)
        and waiters are woken only once it is committed.
        """
        notification = Notification(chain_task_id=chain_task_id, worker=worker, type=kind.value, extra=extra or {})
        log.info("notify %s [task=%s worker=%s]", kind.value, chain_task_id, worker or "*")
        if session is not None:
            session.add(notification)
            event.listen(session, "after_commit", lambda _s: self._wake(), once=True)
            return
        with self.db.session() as s:
            s.add(notification)
        self._wake()

    def _wake(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._swap_event)

    def _swap_event(self) -> None:
        if self._event is not None:
            self._event.set()
        self._event = asyncio.Event()

    def head(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.max(Notification.id))) or 0)

    def fetch(self, worker: str, cursor: int, limit: int = 100) -> list[TaskNotification]:
        with self.db.session() as s:
            tasks = select(Replicate.chain_task_id).where(Replicate.worker == worker)
            rows = s.scalars(
                select(Notification).where(
                    Notification.id > cursor,
                    or_(Notification.worker == worker,
                        (Notification.worker == "") & Notification.chain_task_id.in_(tasks)),
                ).order_by(Notification.id).limit(limit)
            ).all()
            return [_to_wire(n) for n in rows]

    async def wait(self, worker: str, cursor: int, wait_s: float) -> tuple[list[TaskNotification], int]:
        """Notifications after ``cursor`` (waiting up to ``wait_s`` for one), and the new cursor."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            event = self._event
            found = await loop.run_in_executor(None, self.fetch, worker, cursor)
            if found:
                return found, found[-1].id
            remaining = deadline - loop.time()
            if remaining <= 0 or event is None:
                head = await loop.run_in_executor(None, self.head)
                return [], max(cursor, head)
            try:
                await asyncio.wait_for(event.wait(), timeout=remaining)
            except TimeoutError:
                pass


def _to_wire(n: Notification) -> TaskNotification:
    extra = TaskNotificationExtra.model_validate(n.extra) if n.extra else None
    return TaskNotification(id=n.id, chain_task_id=n.chain_task_id, workers_address=[n.worker] if n.worker else [],
                            task_notification_type=TaskNotificationType(n.type), task_notification_extra=extra)
