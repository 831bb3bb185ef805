"""Reads behind the SLA timer: conversations waiting on the team, oldest wait first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Exists

from bot.domain.model import ConversationStatus, Direction
from storage.orm import conversations, messages, sla_marks


@dataclass(frozen=True)
class WaitingRow:
    conversation_id: str
    store_id: str
    message_id: str  # the customer message that started the wait
    since: datetime
    answered_before: bool
    reminded: bool


def _mark(stage: str, message_id: ColumnElement[str]) -> Exists:
    return exists().where(
        sla_marks.c.conversation_id == conversations.c.id,
        sla_marks.c.message_id == message_id,
        sla_marks.c.stage == stage,
    )


async def waiting_conversations(
    session: AsyncSession,
    store_ids: Sequence[str],
    waiting_since_before: datetime,
    limit: int,
) -> list[WaitingRow]:
    """Open conversations of these stores whose customer has waited since before the given
    time and that have not breached yet in this wait (a breached one stays out of the way)."""
    if not store_ids:
        return []
    out = messages.alias("out")
    last_reply = (
        select(func.max(out.c.created_at))
        .where(out.c.conversation_id == conversations.c.id, out.c.direction == Direction.OUT)
        .correlate(conversations)
        .scalar_subquery()
    )
    first = messages.alias("first_in")
    waiting_message = (
        select(first.c.id)
        .where(
            first.c.conversation_id == conversations.c.id,
            first.c.direction == Direction.IN,
            or_(last_reply.is_(None), first.c.created_at > last_reply),
        )
        .order_by(first.c.created_at, first.c.id)
        .limit(1)
        .correlate(conversations)
        .scalar_subquery()
    )
    started = messages.alias("started")
    rows = await session.execute(
        select(
            conversations.c.id,
            conversations.c.store_id,
            started.c.id.label("message_id"),
            started.c.created_at,
            last_reply.is_not(None).label("answered_before"),
            _mark("reminder", started.c.id).label("reminded"),
        )
        .select_from(conversations)
        .join(started, started.c.id == waiting_message)
        .where(
            and_(
                conversations.c.store_id.in_(list(store_ids)),
                conversations.c.status != ConversationStatus.RESOLVED,
                started.c.created_at <= waiting_since_before,
                ~_mark("breach", started.c.id),
            )
        )
        .order_by(started.c.created_at)
        .limit(limit)
    )
    return [
        WaitingRow(
            r.id, r.store_id, r.message_id, r.created_at, bool(r.answered_before), bool(r.reminded)
        )
        for r in rows
    ]
