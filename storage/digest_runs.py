"""Digest runs keyed by subscription + period, and subscriptions made by command.

A run is claimed before any work, with a lease: a delivered key is never run again, a key
another worker is on is left alone, and a key whose worker died (lease over) is taken over
once. Subscriptions from commands live here; those from the config file are not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.orm import digest_runs, digest_subscriptions

RUNNING, DELIVERED, FAILED = "running", "delivered", "failed"
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Subscription:
    id: str
    target: str
    store_ids: tuple[str, ...]
    client_id: str | None
    cron: str
    timezone: str
    cadence: str
    created_by: str


async def claim_run(
    session: AsyncSession,
    *,
    key: str,
    subscription_id: str,
    period_label: str,
    worker: str,
    now: datetime,
    lease_seconds: float,
) -> int | None:
    """The attempt number if this worker should run `key` now, else None."""
    lease_until = now + timedelta(seconds=lease_seconds)
    try:
        async with session.begin_nested():
            await session.execute(
                insert(digest_runs).values(
                    key=key,
                    subscription_id=subscription_id,
                    period_label=period_label,
                    status=RUNNING,
                    attempts=1,
                    claimed_by=worker,
                    lease_until=lease_until,
                    created_at=now,
                )
            )
        return 1
    except IntegrityError:
        pass
    row = (
        await session.execute(select(digest_runs).where(digest_runs.c.key == key).with_for_update())
    ).one()
    if row.status == DELIVERED or int(row.attempts) >= MAX_ATTEMPTS:
        return None
    if row.status == RUNNING and row.lease_until is not None and row.lease_until > now:
        return None
    attempt = int(row.attempts) + 1
    await session.execute(
        update(digest_runs)
        .where(digest_runs.c.key == key)
        .values(status=RUNNING, attempts=attempt, claimed_by=worker, lease_until=lease_until)
    )
    return attempt


async def finish_run(
    session: AsyncSession,
    key: str,
    *,
    text: str,
    target: str,
    store_ids: list[str],
    now: datetime,
) -> None:
    """Delivered: the text, target and stores stay as the record the console reads."""
    await session.execute(
        update(digest_runs)
        .where(digest_runs.c.key == key)
        .values(
            status=DELIVERED,
            text=text,
            target=target,
            store_ids=store_ids,
            finished_at=now,
            lease_until=None,
            last_error=None,
        )
    )


async def fail_run(session: AsyncSession, key: str, error: str) -> None:
    await session.execute(
        update(digest_runs)
        .where(digest_runs.c.key == key)
        .values(status=FAILED, last_error=error[:500], lease_until=None)
    )


async def run_status(session: AsyncSession, key: str) -> dict[str, Any] | None:
    row = (await session.execute(select(digest_runs).where(digest_runs.c.key == key))).first()
    return dict(row._mapping) if row is not None else None


async def console_digests(
    session: AsyncSession, store_id: str, limit: int = 5, scan: int = 200
) -> list[dict[str, Any]]:
    """The latest digests delivered to the console that cover `store_id`."""
    rows = await session.execute(
        select(digest_runs.c.key, digest_runs.c.text, digest_runs.c.store_ids)
        .where(digest_runs.c.target == "console", digest_runs.c.status == DELIVERED)
        .order_by(digest_runs.c.finished_at.desc())
        .limit(scan)
    )
    found = [{"key": r.key, "text": r.text} for r in rows if store_id in (r.store_ids or [])]
    return found[:limit]


async def save_subscription(session: AsyncSession, row: Subscription, now: datetime) -> None:
    """Insert or replace: saying the command again changes the schedule, not adds one."""
    values = {
        "target": row.target,
        "store_ids": list(row.store_ids),
        "client_id": row.client_id,
        "cron": row.cron,
        "timezone": row.timezone,
        "cadence": row.cadence,
        "created_by": row.created_by,
        "created_at": now,
    }
    existing = (
        await session.execute(
            select(digest_subscriptions.c.id)
            .where(digest_subscriptions.c.id == row.id)
            .with_for_update()
        )
    ).first()
    if existing is None:
        await session.execute(insert(digest_subscriptions).values(id=row.id, **values))
    else:
        await session.execute(
            update(digest_subscriptions).where(digest_subscriptions.c.id == row.id).values(**values)
        )


async def delete_subscription(session: AsyncSession, subscription_id: str) -> bool:
    result = await session.execute(
        delete(digest_subscriptions).where(digest_subscriptions.c.id == subscription_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def stored_subscriptions(
    session: AsyncSession, subscription_id: str | None = None
) -> list[Subscription]:
    query = select(digest_subscriptions).order_by(digest_subscriptions.c.id)
    if subscription_id is not None:
        query = query.where(digest_subscriptions.c.id == subscription_id)
    rows = await session.execute(query)
    return [
        Subscription(
            r.id,
            r.target,
            tuple(r.store_ids),
            r.client_id,
            r.cron,
            r.timezone,
            r.cadence,
            r.created_by,
        )
        for r in rows
    ]
