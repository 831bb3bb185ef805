"""A migrated database holding stores and a generated audit history, for digest tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert

from bot.services.metrics import AuditRecord
from storage import migrate
from storage.audit import PendingEvent, append_events
from storage.database import Database, open_database
from storage.orm import stores


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


async def history_database(
    url: str, store_rows: Iterable[dict[str, object]], records: Iterable[AuditRecord]
) -> Database:
    db = open_database(url)
    await migrate.upgrade(db)
    async with db.write_sessions() as session, session.begin():
        for row in store_rows:
            await session.execute(
                insert(stores).values(
                    brand=row["name"],
                    region="global",
                    languages=["en"],
                    mode="draft",
                    tone={},
                    **row,
                )
            )
        await append_events(
            session,
            [
                PendingEvent(r.at, r.actor, r.kind, r.store_id, r.conversation_id, dict(r.payload))
                for r in records
            ],
        )
    return db
