"""What Lark needs remembered: the group the bot created for a store (when none is configured)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.orm import lark_chats


async def chat_of(db: Database, store_id: str) -> str | None:
    async with db.read_sessions() as session:
        value = (
            await session.execute(
                select(lark_chats.c.chat_id).where(lark_chats.c.store_id == store_id)
            )
        ).scalar()
    return str(value) if value is not None else None


async def remember_chat(db: Database, store_id: str, chat_id: str, now: datetime) -> str:
    """Keep the first group recorded for a store (another instance may have won); returns it."""
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(
                insert(lark_chats).values(store_id=store_id, chat_id=chat_id, created_at=now)
            )
    except IntegrityError:
        return await chat_of(db, store_id) or chat_id
    return chat_id


async def stores_by_chat(db: Database) -> dict[str, str]:
    async with db.read_sessions() as session:
        rows = (await session.execute(select(lark_chats.c.chat_id, lark_chats.c.store_id))).all()
    return {str(r.chat_id): str(r.store_id) for r in rows}
