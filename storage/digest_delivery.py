"""What a digest target has delivered, part by part, and the digests kept for the console."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports import Clock, DigestImage
from storage.database import Database
from storage.digest_runs import DELIVERED
from storage.orm import digest_charts, digest_parts, digest_runs

CONSOLE = "console"


class PartLog:
    """The `DigestProgress` port over `digest_parts`: one row per part that went out."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def delivered(self, key: str) -> set[str]:
        async with self._db.read_sessions() as session:
            rows = await session.execute(
                select(digest_parts.c.part).where(digest_parts.c.run_key == key)
            )
            return set(rows.scalars())

    async def mark(self, key: str, part: str, ref: str | None = None) -> None:
        async with self._db.write_sessions() as session, session.begin():
            try:
                async with session.begin_nested():
                    await session.execute(
                        insert(digest_parts).values(
                            run_key=key, part=part, ref=ref, delivered_at=self._clock.now()
                        )
                    )
            except IntegrityError:
                pass  # already recorded by an earlier attempt


async def save_charts(session: AsyncSession, key: str, images: Sequence[DigestImage]) -> None:
    """Replace the key's charts: delivering the same key again leaves one set."""
    await session.execute(delete(digest_charts).where(digest_charts.c.run_key == key))
    for position, image in enumerate(images):
        await session.execute(
            insert(digest_charts).values(
                run_key=key,
                position=position,
                filename=image.filename,
                title=image.title,
                png=image.png,
            )
        )


def _visible(store_ids: Sequence[str] | None, visible: set[str]) -> bool:
    """A digest is shown only when every store it covers is one the member may see."""
    return bool(store_ids) and set(store_ids or ()) <= visible


async def console_digests(
    session: AsyncSession, visible: set[str], limit: int = 50, scan: int = 500
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(
            digest_runs.c.key,
            digest_runs.c.subscription_id,
            digest_runs.c.period_label,
            digest_runs.c.store_ids,
            digest_runs.c.finished_at,
            digest_runs.c.text,
        )
        .where(digest_runs.c.target == CONSOLE, digest_runs.c.status == DELIVERED)
        .order_by(digest_runs.c.finished_at.desc())
        .limit(scan)
    )
    found = [
        {
            "key": r.key,
            "subscription_id": r.subscription_id,
            "period": r.period_label,
            "store_ids": list(r.store_ids or []),
            "delivered_at": r.finished_at.isoformat() if r.finished_at else None,
            "title": (r.text or "").splitlines()[0].lstrip("# ").strip() if r.text else r.key,
        }
        for r in rows
        if _visible(r.store_ids, visible)
    ]
    return found[:limit]


async def console_digest(
    session: AsyncSession, key: str, visible: set[str]
) -> tuple[dict[str, Any], list[DigestImage]] | None:
    """One console digest with its charts, or None if absent or not the member's to see."""
    row = (
        await session.execute(
            select(digest_runs).where(
                digest_runs.c.key == key,
                digest_runs.c.target == CONSOLE,
                digest_runs.c.status == DELIVERED,
            )
        )
    ).first()
    if row is None or not _visible(row.store_ids, visible):
        return None
    charts = await session.execute(
        select(digest_charts)
        .where(digest_charts.c.run_key == key)
        .order_by(digest_charts.c.position)
    )
    images = [DigestImage(c.filename, c.title, bytes(c.png)) for c in charts]
    detail = {
        "key": row.key,
        "period": row.period_label,
        "store_ids": list(row.store_ids or []),
        "text": row.text or "",
    }
    return detail, images
