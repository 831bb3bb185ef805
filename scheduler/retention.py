"""The retention job: erase personal data of conversations resolved longer ago than the
store's `retention_days`. Idempotent (erased conversations are marked) and bounded per run,
so the leader may run it as often as it likes and a backlog drains over several runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.config import Settings
from bot.ports import Clock
from scheduler.maintenance import MaintenanceJob
from storage.database import Database
from storage.erasure import (
    Erasure,
    audit_erasure,
    erase_conversations,
    erase_identities,
    expired_conversations,
    unused_identities,
)

BATCH = 500
EVERY_SECONDS = 3600.0
ACTOR = "system:retention"


async def run_retention(
    db: Database, clock: Clock, retention_days: Mapping[str, int], *, batch: int = BATCH
) -> dict[str, Erasure]:
    """Erase what each store's retention period allows; returns what was erased per store."""
    done: dict[str, Erasure] = {}
    for store_id, days in sorted(retention_days.items()):
        now = clock.now()
        async with db.write_sessions() as session, session.begin():
            expired = await expired_conversations(
                session, store_id, now - timedelta(days=days), batch
            )
            if not expired:
                continue
            erasure = Erasure()
            await erase_conversations(session, [c for c, _, _ in expired], now, erasure)
            identities = await unused_identities(session, {(cu, a) for _, cu, a in expired})
            await erase_identities(session, identities, erasure)
            await audit_erasure(
                session,
                "retention_erased",
                actor=ACTOR,
                store_ids=[store_id],
                payload={"retention_days": days, **erasure.counts()},
                now=now,
            )
            done[store_id] = erasure
    return done


def retention_job(settings: Settings, db: Database, clock: Clock) -> MaintenanceJob | None:
    """The leader's hourly erasure run; None when no store has a retention period."""
    periods = {s.id: s.retention_days for s in settings.stores if s.retention_days}
    if not periods:
        return None

    async def run() -> dict[str, Erasure]:
        return await run_retention(db, clock, periods)

    return MaintenanceJob("retention", EVERY_SECONDS, run)
