"""Deal watcher: finds deals of our workerpool on chain and stores their tasks (spec/core-spec.md §4.3).

A persisted cursor walks ``SchedulerNotice`` logs in bounded spans, so no deal is missed across restarts and
a deal seen twice is harmless (unique ``(deal, index)``).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from workerpool.chain.poco import PocoClient
from workerpool.common.hashing import task_id
from workerpool.common.statuses import TaskStatus

from .db.engine import Database
from .db.tables import Setting, Task, TaskStatusEntry

__all__ = ["DealWatcher", "MAX_LOG_SPAN"]

log = logging.getLogger(__name__)

#: Largest block span of one eth_getLogs.
MAX_LOG_SPAN = 1000
_CURSOR = "deal_scan_from_block"


class DealWatcher:
    def __init__(self, db: Database, poco: PocoClient, *, pool: str, start_block: int):
        self.db = db
        self.poco = poco
        self.pool = pool
        self.start_block = start_block

    def cursor(self) -> int:
        with self.db.session() as s:
            row = s.get(Setting, _CURSOR)
            stored = int(row.value) if row else 0
        # A higher start block skips deals; a lower one never rewinds a stored cursor.
        return max(stored, self.start_block)

    def _save_cursor(self, value: int) -> None:
        with self.db.session() as s:
            row = s.get(Setting, _CURSOR)
            if row is None:
                s.add(Setting(key=_CURSOR, value=str(value)))
            else:
                row.value = str(value)

    def scan(self, latest_block: int) -> list[str]:
        """Scan up to ``latest_block``; returns the ids of the tasks created."""
        created: list[str] = []
        start = self.cursor()
        while start <= latest_block:
            end = min(start + MAX_LOG_SPAN - 1, latest_block)
            for deal_id, block in self.poco.scheduler_notices(self.pool, start, end):
                created += self._store_deal(deal_id, block)
            self._save_cursor(end + 1)
            start = end + 1
        return created

    def _store_deal(self, deal_id: str, block: int) -> list[str]:
        deal = self.poco.view_deal(deal_id)
        if not deal.exists or deal.workerpool != self.pool:
            log.warning("ignoring deal %s: not a deal of pool %s", deal_id, self.pool)
            return []
        category = self.poco.view_category(deal.category)
        app = self.poco.view_app(deal.app)
        max_time_s = category.work_clock_time_ref_s
        created = []
        for index in range(deal.bot_first, deal.bot_first + deal.bot_size):
            chain_task_id = task_id(deal_id, index)
            task = Task(chain_task_id=chain_task_id, deal_id=deal_id, task_index=index, deal_block=block,
                        app=deal.app, image=app.multiaddr, args=deal.param("iexec_args"), trust=max(deal.trust, 1),
                        category=deal.category, tag=deal.tag, max_execution_time_s=max_time_s,
                        contribution_deadline=deal.start_time + 7 * max_time_s,
                        final_deadline=deal.start_time + 10 * max_time_s, status=TaskStatus.RECEIVED.value)
            try:
                with self.db.session() as s:
                    s.add(task)
                    s.add(TaskStatusEntry(chain_task_id=chain_task_id, status=TaskStatus.RECEIVED.value,
                                          block_number=block))
            except IntegrityError:
                continue  # already known: deals may be scanned twice
            log.info("task received [task=%s deal=%s idx=%d] image=%s trust=%d", chain_task_id, deal_id, index,
                     app.multiaddr, task.trust)
            created.append(chain_task_id)
        return created
