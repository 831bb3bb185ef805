"""What attribution and the sales funnel read: recommendations, replies, credited orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Row, and_, select

from bot.domain.catalog import RecommendationRecord
from bot.domain.model import Direction
from bot.services.sales_report import SalesFunnel
from storage.database import Database
from storage.orm import (
    conversations,
    customer_identities,
    messages,
    sales_orders,
    sales_recommendations,
)

R = sales_recommendations


def _record(row: Row[Any]) -> RecommendationRecord:
    values = row._mapping
    return RecommendationRecord(
        tag=values["tag"],
        draft_id=values["draft_id"],
        store_id=values["store_id"],
        conversation_id=values["conversation_id"],
        need=values["need"],
        items=list(values["items"] or []),
        created_at=values["created_at"],
    )


class SqlSalesLedger:
    """The `SalesLedger` port on the app's database (read sessions only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def recommendations_by_tag(self, tags: Sequence[str]) -> list[RecommendationRecord]:
        wanted = [t for t in dict.fromkeys(tags) if t][:20]
        if not wanted:
            return []
        async with self._db.read_sessions() as session:
            rows = (await session.execute(select(R).where(R.c.tag.in_(wanted)))).all()
        return [_record(r) for r in rows]

    async def recommendations_for_contacts(
        self, store_ids: Sequence[str], contacts: Sequence[str], since: datetime
    ) -> list[RecommendationRecord]:
        if not store_ids or not contacts:
            return []
        query = (
            select(R)
            .join(conversations, conversations.c.id == R.c.conversation_id)
            .join(
                customer_identities,
                customer_identities.c.customer_id == conversations.c.customer_id,
            )
            .where(
                R.c.store_id.in_(list(store_ids)),
                R.c.created_at >= since,
                customer_identities.c.external_id.in_(list(contacts)),
            )
        )
        async with self._db.read_sessions() as session:
            rows = (await session.execute(query)).all()
        return list({r.tag: _record(r) for r in rows}.values())

    async def reply_author(self, conversation_id: str, before: datetime) -> str | None:
        query = (
            select(messages.c.author_id)
            .where(
                messages.c.conversation_id == conversation_id,
                messages.c.direction == Direction.OUT,
                messages.c.author_id.is_not(None),
                messages.c.created_at <= before,
            )
            .order_by(messages.c.created_at.desc())
            .limit(1)
        )
        async with self._db.read_sessions() as session:
            return await session.scalar(query)

    async def attributed(self, store_id: str, order_id: str) -> bool:
        query = select(sales_orders.c.order_id).where(
            sales_orders.c.store_id == store_id, sales_orders.c.order_id == order_id
        )
        async with self._db.read_sessions() as session:
            return await session.scalar(query) is not None


async def sales_funnels(
    db: Database, store_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, SalesFunnel]:
    """Per store: conversations that asked to buy, got a reply, got items, and ordered."""
    if not store_ids:
        return {}
    async with db.read_sessions() as session:
        asks = (
            await session.execute(
                select(R.c.store_id, R.c.conversation_id, R.c["items"], R.c.created_at).where(
                    R.c.store_id.in_(list(store_ids)), R.c.created_at >= start, R.c.created_at < end
                )
            )
        ).all()
        first_ask: dict[str, datetime] = {}
        for row in asks:
            seen = first_ask.get(row.conversation_id)
            first_ask[row.conversation_id] = min(seen, row.created_at) if seen else row.created_at
        replies = (
            await session.execute(
                select(messages.c.conversation_id, messages.c.created_at).where(
                    messages.c.conversation_id.in_(list(first_ask) or [""]),
                    messages.c.direction == Direction.OUT,
                )
            )
        ).all()
        orders = (
            await session.execute(
                select(
                    sales_orders.c.conversation_store_id,
                    sales_orders.c.conversation_id,
                    sales_orders.c.amount,
                    sales_orders.c.currency,
                ).where(
                    and_(
                        sales_orders.c.conversation_store_id.in_(list(store_ids)),
                        sales_orders.c.ordered_at >= start,
                        sales_orders.c.ordered_at < end,
                    )
                )
            )
        ).all()
    answered = {r.conversation_id for r in replies if r.created_at >= first_ask[r.conversation_id]}
    asked: dict[str, set[str]] = defaultdict(set)
    recommended: dict[str, set[str]] = defaultdict(set)
    for row in asks:
        asked[row.store_id].add(row.conversation_id)
        if row._mapping["items"]:
            recommended[row.store_id].add(row.conversation_id)
    ordered: dict[str, set[str]] = defaultdict(set)
    revenue: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in orders:
        ordered[row.conversation_store_id].add(row.conversation_id)
        try:
            revenue[row.conversation_store_id][row.currency] += Decimal(row.amount)
        except InvalidOperation:
            continue
    return {
        store_id: SalesFunnel(
            asked=len(asked[store_id]),
            answered=len(asked[store_id] & answered),
            recommended=len(recommended[store_id]),
            ordered=len(ordered[store_id]),
            revenue={c: f"{v:.2f}" for c, v in sorted(revenue[store_id].items())},
        )
        for store_id in store_ids
    }
