"""What Telegram needs remembered: store topics, blocked customer chats, sent reply parts.

Telegram has no way to read back what a bot sent, so each part of a split reply is recorded
once sent: a retry (after a 429 on part two, say) sends only the parts still missing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.orm import (
    conversations,
    customer_identities,
    messages,
    telegram_blocked_chats,
    telegram_sent_parts,
    telegram_topics,
)


async def topic_of(db: Database, chat_id: int, store_id: str) -> int | None:
    async with db.read_sessions() as session:
        value = (
            await session.execute(
                select(telegram_topics.c.thread_id).where(
                    telegram_topics.c.chat_id == chat_id, telegram_topics.c.store_id == store_id
                )
            )
        ).scalar()
    return int(value) if value is not None else None


async def remember_topic(
    db: Database, chat_id: int, store_id: str, thread_id: int, now: datetime
) -> int:
    """Keep the first topic recorded for a store; returns the one to use."""
    values = {"chat_id": chat_id, "store_id": store_id, "thread_id": thread_id, "created_at": now}
    if await _insert_once(db, telegram_topics, values):
        return thread_id
    existing = await topic_of(db, chat_id, store_id)
    return existing if existing is not None else thread_id


async def _insert_once(db: Database, table: Table, values: dict[str, object]) -> bool:
    """Insert unless the key is already there (another instance won); True if inserted."""
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(insert(table).values(**values))
    except IntegrityError:
        return False
    return True


async def is_blocked(db: Database, account_id: str, chat_id: int) -> bool:
    async with db.read_sessions() as session:
        row = (
            await session.execute(
                select(telegram_blocked_chats.c.chat_id).where(
                    telegram_blocked_chats.c.channel_account_id == account_id,
                    telegram_blocked_chats.c.chat_id == chat_id,
                )
            )
        ).first()
    return row is not None


async def mark_blocked(
    db: Database, account_id: str, chat_id: int, reason: str, now: datetime
) -> None:
    values = {
        "channel_account_id": account_id,
        "chat_id": chat_id,
        "reason": reason,
        "blocked_at": now,
    }
    await _insert_once(db, telegram_blocked_chats, values)  # already marked is fine


async def unblock(db: Database, account_id: str, chat_id: int) -> None:
    """The customer wrote again, so the bot is no longer blocked."""
    async with db.write_sessions() as session, session.begin():
        await session.execute(
            delete(telegram_blocked_chats).where(
                telegram_blocked_chats.c.channel_account_id == account_id,
                telegram_blocked_chats.c.chat_id == chat_id,
            )
        )


async def sent_parts(db: Database, idempotency_key: str) -> dict[int, int]:
    async with db.read_sessions() as session:
        rows = (
            await session.execute(
                select(telegram_sent_parts.c.part, telegram_sent_parts.c.message_id).where(
                    telegram_sent_parts.c.idempotency_key == idempotency_key
                )
            )
        ).all()
    return {int(r.part): int(r.message_id) for r in rows}


async def record_part(
    db: Database, idempotency_key: str, part: int, message_id: int, now: datetime
) -> None:
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(
                insert(telegram_sent_parts).values(
                    idempotency_key=idempotency_key, part=part, message_id=message_id, sent_at=now
                )
            )
    except IntegrityError:
        return


async def inbound_message_id(
    db: Database, account_id: str, chat_id: int, external_suffix: str
) -> str | None:
    """The stored customer message whose external id ends with `external_suffix` (the
    Telegram message id part), in the conversation of this chat on this account."""
    async with db.read_sessions() as session:
        return (
            await session.execute(
                select(messages.c.id)
                .join(conversations, conversations.c.id == messages.c.conversation_id)
                .join(
                    customer_identities,
                    (customer_identities.c.customer_id == conversations.c.customer_id)
                    & (customer_identities.c.channel_account_id == account_id),
                )
                .where(
                    messages.c.channel_account_id == account_id,
                    messages.c.direction == "in",
                    messages.c.external_id.endswith(external_suffix),
                    customer_identities.c.external_id == str(chat_id),
                )
                .limit(1)
            )
        ).scalar()
