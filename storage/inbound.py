"""Deduplication of inbound platform events that are not customer messages (e.g. Slack's)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.orm import inbound_receipts


async def claim_event(db: Database, source: str, event_id: str, now: datetime) -> bool:
    """True the first time (source, event_id) is seen; a platform's retry gets False."""
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(
                inbound_receipts.insert().values(
                    channel_account_id=source, external_id=event_id, received_at=now
                )
            )
    except IntegrityError:
        return False
    return True
