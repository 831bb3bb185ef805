"""Outbox rows: written with the state change, claimed by workers with a lease."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports import OutboxItem
from storage.orm import outbox

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"


def _item(row: Any, *, in_doubt: bool = False) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        key=row.key,
        topic=row.topic,
        target=row.target,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        store_id=row.store_id,
        conversation_id=row.conversation_id,
        updated_at=row.updated_at,
        in_doubt=in_doubt,
    )


async def enqueue(
    session: AsyncSession,
    *,
    now: datetime,
    topic: str,
    key: str,
    target: str,
    payload: dict[str, Any],
    store_id: str | None,
    conversation_id: str | None,
    max_attempts: int,
    delay_seconds: float = 0.0,
) -> None:
    await session.execute(
        insert(outbox).values(
            key=key,
            topic=topic,
            target=target,
            payload=payload,
            status=PENDING,
            attempts=0,
            max_attempts=max_attempts,
            next_attempt_at=now + timedelta(seconds=delay_seconds),
            store_id=store_id,
            conversation_id=conversation_id,
            created_at=now,
            updated_at=now,
        )
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, worker_id: str, limit: int, lease_seconds: float
) -> list[OutboxItem]:
    """Claim due rows; a row whose lease ran out (its worker died) is claimable again."""
    due = or_(
        and_(outbox.c.status == PENDING, outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == SENDING, outbox.c.lease_until < now),
    )
    rows = (
        await session.execute(
            select(outbox)
            .where(due)
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    await session.execute(
        update(outbox)
        .where(outbox.c.id.in_([r.id for r in rows]))
        .values(
            status=SENDING,
            claimed_by=worker_id,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
    )
    # A row still marked sending had a worker die during its platform call.
    return [_item(r, in_doubt=r.status == SENDING) for r in rows]


async def extend_lease(
    session: AsyncSession,
    *,
    now: datetime,
    worker_id: str,
    item_ids: list[int],
    lease_seconds: float,
) -> int:
    """Heartbeat: keep rows this worker is still working on from being taken over."""
    if not item_ids:
        return 0
    result = await session.execute(
        update(outbox)
        .where(
            outbox.c.id.in_(item_ids),
            outbox.c.status == SENDING,
            outbox.c.claimed_by == worker_id,
        )
        .values(lease_until=now + timedelta(seconds=lease_seconds))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def mark_sent(session: AsyncSession, item_id: int, now: datetime) -> None:
    await session.execute(
        update(outbox)
        .where(outbox.c.id == item_id)
        .values(status=SENT, lease_until=None, last_error=None, updated_at=now)
    )


async def reschedule(
    session: AsyncSession,
    item_id: int,
    *,
    now: datetime,
    at: datetime,
    error: str | None,
    count_attempt: bool,
) -> None:
    values: dict[str, Any] = {
        "status": PENDING,
        "next_attempt_at": at,
        "lease_until": None,
        "updated_at": now,
    }
    if error is not None:
        values["last_error"] = error[:2000]
    if count_attempt:
        values["attempts"] = outbox.c.attempts + 1
    # Only a row still in hand: one another worker finished meanwhile stays finished.
    await session.execute(
        update(outbox).where(outbox.c.id == item_id, outbox.c.status == SENDING).values(**values)
    )


async def mark_dead(session: AsyncSession, item_id: int, *, now: datetime, error: str) -> None:
    await session.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.status != SENT)
        .values(
            status=DEAD,
            attempts=outbox.c.attempts + 1,
            last_error=error[:2000],
            lease_until=None,
            updated_at=now,
        )
    )


async def get(session: AsyncSession, item_id: int) -> OutboxItem | None:
    row = (await session.execute(select(outbox).where(outbox.c.id == item_id))).first()
    return _item(row) if row else None


async def revive(session: AsyncSession, item_id: int, now: datetime) -> bool:
    """Put a dead-lettered row back in the queue with a fresh attempt budget."""
    result = await session.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.status == DEAD)
        .values(status=PENDING, attempts=0, next_attempt_at=now, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def dead_letters(
    session: AsyncSession, store_ids: list[str], limit: int = 100
) -> list[OutboxItem]:
    rows = (
        await session.execute(
            select(outbox)
            .where(outbox.c.status == DEAD, outbox.c.store_id.in_(store_ids))
            .order_by(outbox.c.updated_at.desc())
            .limit(limit)
        )
    ).all()
    return [_item(r) for r in rows]


async def has_fresh(session: AsyncSession, topic: str, target: str, conversation_id: str) -> bool:
    """Is a row for this conversation still waiting, untouched, for its first attempt?"""
    row = (
        await session.execute(
            select(outbox.c.id)
            .where(
                outbox.c.topic == topic,
                outbox.c.target == target,
                outbox.c.conversation_id == conversation_id,
                outbox.c.status == PENDING,
                outbox.c.attempts == 0,
            )
            .limit(1)
        )
    ).first()
    return row is not None
