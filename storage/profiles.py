"""The cross-store customer profile, read only from stores the viewer may see.

`visible` is always passed in: a member's `visible_stores()`, or for a shared channel the
stores every member of that channel's store may see (`channel_audience`). Nothing from
another store — not even a count — reaches the caller.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.profile import sentiment_trend
from storage.customer_links import customer_stores
from storage.orm import (
    audit_events,
    conversations,
    customer_link_proposals,
    customers,
    member_roles,
)

TREND_WINDOW = 10
ORDERS_SHOWN = 20
EVENTS_READ = 2000


async def channel_audience(session: AsyncSession, store_id: str) -> list[str]:
    """Stores that every member with a role in `store_id` may see: safe for its channel."""
    rows = (
        await session.execute(
            select(member_roles.c.member_id, member_roles.c.store_id).where(
                member_roles.c.member_id.in_(
                    select(member_roles.c.member_id).where(member_roles.c.store_id == store_id)
                )
            )
        )
    ).all()
    by_member: dict[str, set[str]] = {}
    for row in rows:
        by_member.setdefault(row.member_id, set()).add(row.store_id)
    if not by_member:
        return [store_id]
    return sorted(set.intersection(*by_member.values()) | {store_id})


async def customer_profile(
    session: AsyncSession,
    customer_id: str,
    visible: Collection[str],
    *,
    current_conversation: str | None = None,
) -> dict[str, Any] | None:
    customer = (
        await session.execute(select(customers).where(customers.c.id == customer_id))
    ).first()
    if customer is None:
        return None
    stores = sorted(set(visible))
    rows = (
        await session.execute(
            select(conversations)
            .where(conversations.c.customer_id == customer_id, conversations.c.store_id.in_(stores))
            .order_by(conversations.c.opened_at.desc(), conversations.c.id)
        )
    ).all()
    past = [
        {
            "id": r.id,
            "store_id": r.store_id,
            "status": getattr(r.status, "value", r.status),
            "opened_at": r.opened_at.isoformat(),
            "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
        }
        for r in rows
    ]
    ids = [r.id for r in rows]
    events = (
        (
            await session.execute(
                select(
                    audit_events.c.kind,
                    audit_events.c.conversation_id,
                    audit_events.c.store_id,
                    audit_events.c.at,
                    audit_events.c.payload,
                )
                .where(
                    audit_events.c.conversation_id.in_(ids),
                    audit_events.c.kind.in_(("triaged", "looked_up")),
                )
                .order_by(audit_events.c.at, audit_events.c.seq)
                .limit(EVENTS_READ)
            )
        ).all()
        if ids
        else []
    )
    sentiments = [
        str(e.payload.get("sentiment"))
        for e in events
        if e.kind == "triaged" and isinstance(e.payload.get("sentiment"), str)
    ]
    last_intent: dict[str, str] = {}
    for e in events:
        if e.kind == "triaged" and isinstance(e.payload.get("intent"), str):
            last_intent[e.conversation_id] = e.payload["intent"]
    orders: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        if e.kind != "looked_up" or e.payload.get("found") is not True:
            continue
        fields = e.payload.get("fields") if isinstance(e.payload.get("fields"), dict) else {}
        number = str(fields.get("order_id") or e.payload.get("query") or "")
        if not number or number == "[erased]":
            continue
        orders[(e.store_id, number)] = {
            "store_id": e.store_id,
            "order": number,
            "summary": e.payload.get("summary") or "",
            "seen_at": e.at.isoformat(),
        }
    open_issues = [
        {**c, "intent": last_intent.get(c["id"])}
        for c in past
        if c["status"] != "resolved" and c["id"] != current_conversation
    ]
    return {
        "customer_id": customer.id,
        "current_conversation": current_conversation,
        "name": customer.display_name,
        "erased": customer.erased_at is not None,
        "stores": sorted({c["store_id"] for c in past}),
        "conversations": past,
        "earlier_conversations": sum(1 for c in past if c["id"] != current_conversation),
        "orders_seen": list(orders.values())[-ORDERS_SHOWN:],
        "sentiments": sentiments[-TREND_WINDOW:],
        "sentiment_trend": sentiment_trend(sentiments[-TREND_WINDOW:]),
        "open_issues": open_issues,
        "pending_links": await pending_links(session, customer_id, stores),
    }


async def pending_links(
    session: AsyncSession, customer_id: str, visible: Collection[str]
) -> list[dict[str, Any]]:
    """Proposals about this customer whose other side the viewer may also see."""
    rows = (
        await session.execute(
            select(customer_link_proposals)
            .where(
                customer_link_proposals.c.status == "pending",
                or_(
                    customer_link_proposals.c.customer_id == customer_id,
                    customer_link_proposals.c.other_customer_id == customer_id,
                ),
            )
            .order_by(customer_link_proposals.c.created_at)
        )
    ).all()
    shown = []
    for row in rows:
        other = row.other_customer_id if row.customer_id == customer_id else row.customer_id
        other_stores = await customer_stores(session, other)
        if not set(other_stores) & set(visible):
            continue
        name = await session.scalar(select(customers.c.display_name).where(customers.c.id == other))
        shown.append(
            {
                "id": row.id,
                "other_customer_id": other,
                "other_name": name or "",
                "reason": row.reason,
                "other_stores": sorted(set(other_stores) & set(visible)),
            }
        )
    return shown
