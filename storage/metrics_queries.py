"""Reads behind the metrics: the audit events of the conversations a period touched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.metrics import AuditRecord, StoreInfo
from storage.orm import audit_events, messages, stores


async def store_infos(session: AsyncSession) -> dict[str, StoreInfo]:
    rows = (await session.execute(select(stores).order_by(stores.c.id))).all()
    return {r.id: StoreInfo(r.id, r.name, r.timezone, r.client_id) for r in rows}


async def audit_records(
    session: AsyncSession, store_ids: Sequence[str], start: datetime, end: datetime
) -> list[AuditRecord]:
    """Every event before `end` of each conversation with an event in [start, end), so an
    episode that began earlier is measured from its real start; plus the period's events
    that belong to no conversation."""
    touched = (
        select(audit_events.c.conversation_id)
        .where(
            audit_events.c.store_id.in_(store_ids),
            audit_events.c.at >= start,
            audit_events.c.at < end,
            audit_events.c.conversation_id.is_not(None),
        )
        .distinct()
    )
    rows = await session.execute(
        select(audit_events)
        .where(
            audit_events.c.store_id.in_(store_ids),
            audit_events.c.at < end,
            or_(
                audit_events.c.conversation_id.in_(touched),
                and_(audit_events.c.conversation_id.is_(None), audit_events.c.at >= start),
            ),
        )
        .order_by(audit_events.c.seq)
    )
    return [
        AuditRecord(r.at, r.kind, r.actor, r.store_id, r.conversation_id, r.payload or {})
        for r in rows
    ]


async def message_texts(session: AsyncSession, message_ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ids = list(dict.fromkeys(message_ids))
    for offset in range(0, len(ids), 500):  # keep IN lists a sane size
        chunk = ids[offset : offset + 500]
        rows = await session.execute(
            select(messages.c.id, messages.c.text).where(messages.c.id.in_(chunk))
        )
        found.update({r.id: r.text for r in rows})
    return found


async def triaged_events(
    session: AsyncSession, store_id: str, since: datetime, limit: int = 20_000
) -> list[AuditRecord]:
    """A store's `triaged` events since a date, newest last (capped: enough for a review)."""
    rows = await session.execute(
        select(audit_events)
        .where(
            audit_events.c.store_id == store_id,
            audit_events.c.kind == "triaged",
            audit_events.c.at >= since,
        )
        .order_by(audit_events.c.seq.desc())
        .limit(limit)
    )
    found = [
        AuditRecord(r.at, r.kind, r.actor, r.store_id, r.conversation_id, r.payload or {})
        for r in rows
    ]
    found.reverse()
    return found
