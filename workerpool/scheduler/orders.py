"""The workerpool's signed orders, published on the scheduler's API for requesters to match."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from workerpool.chain.poco import PocoClient
from workerpool.common.orders import Domain, WorkerpoolOrder, order_hash, sign_order

from .db.engine import Database
from .db.tables import PublishedOrder

__all__ = ["OrderBook"]

log = logging.getLogger(__name__)


class OrderBook:
    def __init__(self, db: Database, poco: PocoClient, domain: Domain, *, pool: str, owner_key: Any,
                 price_nrlc: int, trust: int, volume: int):
        self.db = db
        self.poco = poco
        self.domain = domain
        self.pool = pool
        self._key = owner_key
        self.price_nrlc = price_nrlc
        self.trust = trust
        self.volume = volume

    def open_orders(self, category: int) -> list[dict[str, Any]]:
        """Signed orders of ``category`` with volume left on chain, newest first (signs one if none)."""
        with self.db.session() as s:
            rows = s.scalars(select(PublishedOrder).where(PublishedOrder.category == category)
                             .order_by(PublishedOrder.created_at.desc())).all()
            open_rows = [r.order for r in rows
                         if self.poco.view_consumed(r.order_hash) < int(r.order["volume"])]
        return open_rows or [self.publish(category)]

    def publish(self, category: int) -> dict[str, Any]:
        order = sign_order(WorkerpoolOrder(workerpool=self.pool, workerpoolprice=self.price_nrlc,
                                           volume=self.volume, category=category, trust=self.trust),
                           self.domain, self._key)
        digest = order_hash(order, self.domain)
        with self.db.session() as s:
            s.add(PublishedOrder(order_hash=digest, category=category, order=order.to_json()))
        log.info("workerpool order published category=%d price=%d nRLC trust=%d volume=%d hash=%s",
                 category, self.price_nrlc, self.trust, self.volume, digest)
        return order.to_json()
