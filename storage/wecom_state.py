"""What WeCom needs remembered: each store's group chat and each card's update code.

A button card can only be updated with a `response_code`, each usable once: the send
answers with one and every press brings a fresh one. The newest unused code is kept per
card (`task_id`) and spent by the mirror when the card has something new to show.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage import workspace_posts as wp
from storage.database import Database
from storage.orm import conversations, wecom_card_codes, wecom_chats, workspace_posts


async def chat_of(db: Database, store_id: str) -> str | None:
    async with db.read_sessions() as session:
        return (
            await session.execute(
                select(wecom_chats.c.chat_id).where(wecom_chats.c.store_id == store_id)
            )
        ).scalar()


async def remember_chat(db: Database, store_id: str, chat_id: str, now: datetime) -> str:
    """Keep the first chat recorded for a store; returns the one to use."""
    try:
        async with db.write_sessions() as session, session.begin():
            await session.execute(
                insert(wecom_chats).values(store_id=store_id, chat_id=chat_id, created_at=now)
            )
    except IntegrityError:
        return await chat_of(db, store_id) or chat_id
    return chat_id


async def card_code(db: Database, task_id: str) -> str | None:
    async with db.read_sessions() as session:
        return (
            await session.execute(
                select(wecom_card_codes.c.response_code).where(
                    wecom_card_codes.c.task_id == task_id
                )
            )
        ).scalar()


async def remember_code(db: Database, task_id: str, code: str | None, now: datetime) -> None:
    """The newest code wins (a press's code replaces the send's)."""
    values = {"response_code": code, "updated_at": now}
    async with db.write_sessions() as session, session.begin():
        changed = await session.execute(
            update(wecom_card_codes).where(wecom_card_codes.c.task_id == task_id).values(**values)
        )
        if changed.rowcount:  # type: ignore[attr-defined]
            return
        try:
            async with session.begin_nested():
                await session.execute(insert(wecom_card_codes).values(task_id=task_id, **values))
        except IntegrityError:
            await session.execute(
                update(wecom_card_codes)
                .where(wecom_card_codes.c.task_id == task_id)
                .values(**values)
            )


async def spend_code(db: Database, task_id: str, code: str, now: datetime) -> None:
    """Forget a used code, unless a newer press has replaced it meanwhile."""
    async with db.write_sessions() as session, session.begin():
        await session.execute(
            update(wecom_card_codes)
            .where(wecom_card_codes.c.task_id == task_id, wecom_card_codes.c.response_code == code)
            .values(response_code=None, updated_at=now)
        )


async def release_post(db: Database, thread: wp.ThreadRef, item_key: str) -> None:
    """WeCom answered with an error, so nothing was posted: the claim goes, a retry posts."""
    async with db.write_sessions() as session, session.begin():
        await session.execute(
            delete(workspace_posts).where(
                and_(
                    workspace_posts.c.target == thread.target,
                    workspace_posts.c.conversation_id == thread.conversation_id,
                    workspace_posts.c.generation == thread.generation,
                    workspace_posts.c.item_key == item_key,
                    workspace_posts.c.status == wp.POSTING,
                )
            )
        )


async def conversations_starting_with(db: Database, prefix: str, limit: int = 2) -> list[str]:
    """Conversation ids beginning with the reference a member typed (ids are hex)."""
    if not prefix or any(c not in "0123456789abcdef" for c in prefix):
        return []
    async with db.read_sessions() as session:
        rows = await session.execute(
            select(conversations.c.id)
            .where(conversations.c.id.startswith(prefix, autoescape=True))
            .limit(limit)
        )
        return [str(r) for r in rows.scalars()]
