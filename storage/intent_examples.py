"""A store's imported intent examples: replaced as a whole, read by the triager."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.intents import IntentExample
from storage.database import Database
from storage.orm import intent_examples


async def replace_examples(
    session: AsyncSession, store_id: str, examples: Sequence[IntentExample], at: datetime
) -> None:
    """Re-importing a file gives the same set, never a union of old and new."""
    await session.execute(delete(intent_examples).where(intent_examples.c.store_id == store_id))
    if examples:
        await session.execute(
            insert(intent_examples),
            [
                {"store_id": store_id, "sentence": e.sentence, "label": e.label, "imported_at": at}
                for e in examples
            ],
        )


async def load_examples(session: AsyncSession, store_id: str) -> list[IntentExample]:
    rows = await session.execute(
        select(intent_examples.c.sentence, intent_examples.c.label)
        .where(intent_examples.c.store_id == store_id)
        .order_by(intent_examples.c.id)
    )
    return [IntentExample(sentence, label) for sentence, label in rows]


def examples_loader(db: Database) -> Callable[[str], Awaitable[list[IntentExample]]]:
    """The triager's per-store source of examples, reading through the read-only sessions."""

    async def load(store_id: str) -> list[IntentExample]:
        async with db.read_sessions() as session:
            return await load_examples(session, store_id)

    return load
