"""Read models for the surfaces: plain dicts straight from SQL, no domain objects needed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox as outbox_rows
from storage.orm import (
    audit_events,
    channel_accounts,
    conversations,
    customer_identities,
    customers,
    drafts,
    messages,
    stores,
)

CONVERSATION_PAGE = 200
# The customer's identity on the conversation's own channel account.
_IDENTITY_OF_CONVERSATION = and_(
    customer_identities.c.customer_id == conversations.c.customer_id,
    customer_identities.c.channel_account_id == conversations.c.channel_account_id,
)
THREAD_MESSAGES = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def stores_by_id(session: AsyncSession, store_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = (await session.execute(select(stores).where(stores.c.id.in_(store_ids)))).all()
    return {
        r.id: {"id": r.id, "name": r.name, "mode": r.mode.value, "languages": r.languages}
        for r in rows
    }


async def store_conversations(
    session: AsyncSession, store_id: str, limit: int = CONVERSATION_PAGE
) -> list[dict[str, Any]]:
    last_text = (
        select(messages.c.text)
        .where(messages.c.conversation_id == conversations.c.id, messages.c.direction != "note")
        .order_by(messages.c.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    pending = (
        select(func.count())
        .select_from(drafts)
        .where(drafts.c.conversation_id == conversations.c.id, drafts.c.status == "pending")
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(
                conversations,
                customers.c.display_name.label("customer_name"),
                channel_accounts.c.kind.label("channel_kind"),
                last_text.label("last_text"),
                pending.label("pending"),
            )
            .join(customers, customers.c.id == conversations.c.customer_id)
            .join(channel_accounts, channel_accounts.c.id == conversations.c.channel_account_id)
            .where(conversations.c.store_id == store_id)
            .order_by(conversations.c.updated_at.desc())
            .limit(limit)
        )
    ).all()
    return [
        {
            "id": r.id,
            "status": r.status.value,
            "customer_name": r.customer_name,
            "channel_account_id": r.channel_account_id,
            "channel_kind": r.channel_kind,
            "updated_at": _iso(r.updated_at),
            "last_text": (r.last_text or "")[:200],
            "review_required": r.review_required,
            "assignee_id": r.assignee_id,
            "pending_draft": bool(r.pending),
        }
        for r in rows
    ]


async def conversation_detail(session: AsyncSession, conversation_id: str) -> dict[str, Any] | None:
    head = (
        await session.execute(
            select(
                conversations,
                customers.c.display_name.label("customer_name"),
                channel_accounts.c.kind.label("channel_kind"),
                stores.c.mode.label("store_mode"),
            )
            .join(customers, customers.c.id == conversations.c.customer_id)
            .join(channel_accounts, channel_accounts.c.id == conversations.c.channel_account_id)
            .join(stores, stores.c.id == conversations.c.store_id)
            .where(conversations.c.id == conversation_id)
        )
    ).first()
    if head is None:
        return None
    thread = (
        await session.execute(
            select(messages)
            .where(messages.c.conversation_id == conversation_id)
            .order_by(messages.c.created_at, messages.c.id)
            .limit(THREAD_MESSAGES)
        )
    ).all()
    draft = (
        await session.execute(
            select(drafts)
            .where(drafts.c.conversation_id == conversation_id, drafts.c.status == "pending")
            .order_by(drafts.c.created_at.desc())
            .limit(1)
        )
    ).first()
    events = (
        await session.execute(
            select(audit_events)
            .where(audit_events.c.conversation_id == conversation_id)
            .order_by(audit_events.c.seq)
        )
    ).all()
    return {
        "conversation": {
            "id": head.id,
            "store_id": head.store_id,
            "status": head.status.value,
            "customer_name": head.customer_name,
            "channel_account_id": head.channel_account_id,
            "channel_kind": head.channel_kind,
            "store_mode": head.store_mode.value,
            "review_required": head.review_required,
            "assignee_id": head.assignee_id,
            "customer_id": head.customer_id,
            "opened_at": _iso(head.opened_at),
            "updated_at": _iso(head.updated_at),
            "summary": head.summary,
            "summarized_at": _iso(head.summarized_at) if head.summarized_at else None,
        },
        "messages": [
            {
                "id": m.id,
                "direction": m.direction.value,
                "text": m.text,
                "created_at": _iso(m.created_at),
                "author_id": m.author_id,
                "delivery_status": m.delivery_status.value if m.delivery_status else None,
                "source_ref": m.external_id if m.direction.value != "in" else None,
                "attachments": m.attachments or [],
            }
            for m in thread
        ],
        "draft": None
        if draft is None
        else {
            "id": draft.id,
            "text": draft.text,
            "route": draft.route.value,
            "confident": draft.confident,
            "language": draft.language,
            "citations": draft.citations,
            "risk_reasons": draft.risk_reasons,
            "note": draft.note,
        },
        "events": [
            {"seq": e.seq, "kind": e.kind, "actor": e.actor, "at": _iso(e.at), "payload": e.payload}
            for e in events
        ],
    }


async def customer_thread(
    session: AsyncSession, account_id: str, customer_external_id: str, limit: int = THREAD_MESSAGES
) -> list[dict[str, Any]]:
    """What the customer sees: their messages and the replies actually sent, nothing internal."""
    visible = (messages.c.direction == "in") | and_(
        messages.c.direction == "out", messages.c.delivery_status == "sent"
    )
    rows = (
        await session.execute(
            select(messages.c.id, messages.c.direction, messages.c.text, messages.c.created_at)
            .join(conversations, conversations.c.id == messages.c.conversation_id)
            .join(customer_identities, _IDENTITY_OF_CONVERSATION)
            .where(
                conversations.c.channel_account_id == account_id,
                customer_identities.c.external_id == customer_external_id,
                visible,
            )
            .order_by(messages.c.created_at, messages.c.id)
            .limit(limit)
        )
    ).all()
    return [
        {
            "id": r.id,
            "direction": r.direction.value,
            "text": r.text,
            "created_at": _iso(r.created_at),
        }
        for r in rows
    ]


async def dead_letters(session: AsyncSession, store_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": item.id,
            "key": item.key,
            "topic": item.topic,
            "target": item.target,
            "attempts": item.attempts,
            "last_error": item.last_error,
            "conversation_id": item.conversation_id,
            "updated_at": _iso(item.updated_at),
        }
        for item in await outbox_rows.dead_letters(session, store_ids)
    ]


async def audit_tail(session: AsyncSession, after_seq: int, limit: int = 500) -> list[Any]:
    return list(
        (
            await session.execute(
                select(audit_events.c.seq, audit_events.c.store_id, audit_events.c.conversation_id)
                .where(audit_events.c.seq > after_seq)
                .order_by(audit_events.c.seq)
                .limit(limit)
            )
        ).all()
    )


async def last_audit_seq(session: AsyncSession) -> int:
    return int((await session.execute(select(func.max(audit_events.c.seq)))).scalar() or 0)


async def conversation_belongs_to(
    session: AsyncSession, conversation_id: str, account_id: str, customer_external_id: str
) -> bool:
    row = (
        await session.execute(
            select(conversations.c.id)
            .join(customer_identities, _IDENTITY_OF_CONVERSATION)
            .where(
                conversations.c.id == conversation_id,
                conversations.c.channel_account_id == account_id,
                customer_identities.c.external_id == customer_external_id,
            )
        )
    ).first()
    return row is not None


async def conversation_drafts(session: AsyncSession, conversation_id: str) -> list[dict[str, Any]]:
    """Every draft of a conversation with its outcome, for cards that are updated in place."""
    rows = (
        await session.execute(
            select(drafts)
            .where(drafts.c.conversation_id == conversation_id)
            .order_by(drafts.c.created_at)
        )
    ).all()
    return [
        {
            "id": d.id,
            "text": d.text,
            "route": d.route.value,
            "status": d.status.value,
            "confident": d.confident,
            "language": d.language,
            "citations": d.citations,
            "risk_reasons": d.risk_reasons,
            "note": d.note,
            "created_at": _iso(d.created_at),
            "decided_by": d.decided_by,
            "decided_at": _iso(d.decided_at),
            "reply_message_id": d.reply_message_id,
        }
        for d in rows
    ]


async def customer_conversation_count(session: AsyncSession, customer_id: str) -> int:
    """How often this customer wrote before, in any store: context for the team."""
    count = (
        await session.execute(
            select(func.count())
            .select_from(conversations)
            .where(conversations.c.customer_id == customer_id)
        )
    ).scalar()
    return int(count or 0)


async def draft_with_conversation(session: AsyncSession, draft_id: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(drafts.c.id, drafts.c.text, drafts.c.conversation_id).where(
                drafts.c.id == draft_id
            )
        )
    ).first()
    if row is None:
        return None
    return {"id": row.id, "text": row.text, "conversation_id": row.conversation_id}


async def message_by_source_ref(session: AsyncSession, source_ref: str) -> dict[str, Any] | None:
    """A message a person wrote on a team surface, found by where they wrote it."""
    row = (
        await session.execute(
            select(messages.c.id, messages.c.conversation_id, messages.c.direction).where(
                messages.c.external_id == source_ref, messages.c.direction != "in"
            )
        )
    ).first()
    if row is None:
        return None
    return {"id": row.id, "conversation_id": row.conversation_id, "direction": row.direction.value}


_WAITING_ON_TEAM = ("open", "review", "escalated", "taken_over")


async def store_of(session: AsyncSession, conversation_id: str) -> str | None:
    return (
        await session.execute(
            select(conversations.c.store_id).where(conversations.c.id == conversation_id)
        )
    ).scalar()


async def status_counts(session: AsyncSession, store_id: str) -> dict[str, int]:
    rows = (
        await session.execute(
            select(conversations.c.status, func.count())
            .where(conversations.c.store_id == store_id)
            .group_by(conversations.c.status)
        )
    ).all()
    return {status.value: int(count) for status, count in rows}


async def oldest_waiting(session: AsyncSession, store_id: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(
                conversations.c.id,
                conversations.c.status,
                conversations.c.updated_at,
                customers.c.display_name,
            )
            .join(customers, customers.c.id == conversations.c.customer_id)
            .where(
                conversations.c.store_id == store_id,
                conversations.c.status.in_(_WAITING_ON_TEAM),
            )
            .order_by(conversations.c.updated_at, conversations.c.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return {
        "id": row.id,
        "status": row.status.value,
        "updated_at": row.updated_at,
        "customer_name": row.display_name,
    }


async def customer_of(session: AsyncSession, conversation_id: str) -> dict[str, Any] | None:
    """The conversation's customer, with where and when Storedesk first met them."""
    customer_id = (
        await session.execute(
            select(conversations.c.customer_id).where(conversations.c.id == conversation_id)
        )
    ).scalar()
    row = (
        await session.execute(
            select(
                customers.c.id,
                customers.c.display_name,
                customers.c.created_at,
                conversations.c.channel_account_id,
                channel_accounts.c.kind,
            )
            .join(conversations, conversations.c.customer_id == customers.c.id)
            .join(channel_accounts, channel_accounts.c.id == conversations.c.channel_account_id)
            .where(customers.c.id == customer_id)
            .order_by(conversations.c.opened_at, conversations.c.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return {
        "customer_id": row.id,
        "name": row.display_name,
        "first_seen": row.created_at,
        "channel_account_id": row.channel_account_id,
        "channel_kind": row.kind,
    }


async def review_queue(
    session: AsyncSession, store_ids: list[str], now: datetime, limit: int = 500
) -> list[dict[str, Any]]:
    """Every pending draft in these stores, the longest-waiting customer first."""
    if not store_ids:
        return []
    waiting_since = messages.c.created_at
    rows = (
        await session.execute(
            select(
                drafts.c.id,
                drafts.c.conversation_id,
                drafts.c.route,
                drafts.c.text,
                drafts.c.confident,
                drafts.c.risk_reasons,
                drafts.c.created_at,
                waiting_since.label("waiting_since"),
                conversations.c.store_id,
                conversations.c.status,
                conversations.c.assignee_id,
                customers.c.display_name.label("customer_name"),
                stores.c.name.label("store_name"),
            )
            .join(conversations, conversations.c.id == drafts.c.conversation_id)
            .join(customers, customers.c.id == conversations.c.customer_id)
            .join(stores, stores.c.id == conversations.c.store_id)
            .join(messages, messages.c.id == drafts.c.message_id)
            .where(drafts.c.status == "pending", conversations.c.store_id.in_(store_ids))
            .order_by(waiting_since, drafts.c.id)
            .limit(limit)
        )
    ).all()
    return [
        {
            "draft_id": r.id,
            "conversation_id": r.conversation_id,
            "store_id": r.store_id,
            "store_name": r.store_name,
            "customer_name": r.customer_name,
            "status": r.status.value,
            "assignee_id": r.assignee_id,
            "route": r.route.value,
            "text": (r.text or "")[:300],
            "confident": r.confident,
            "risk_reasons": list(r.risk_reasons or []),
            "drafted_at": _iso(r.created_at),
            "waiting_since": _iso(r.waiting_since),
            "age_seconds": max(0.0, (now - r.waiting_since).total_seconds()),
        }
        for r in rows
    ]
