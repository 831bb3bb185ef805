"""Where each conversation lives in a team workspace, and which items were posted there.

A row is written as `posting` before the platform call and `posted` after, so a crash or an
unsure answer in between is reconciled against the platform instead of posting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.orm import workspace_posts, workspace_threads

POSTING, POSTED = "posting", "posted"


@dataclass(frozen=True)
class ThreadRef:
    target: str
    conversation_id: str
    generation: int
    channel: str
    parent_ts: str | None
    lost_permalink: str | None


@dataclass(frozen=True)
class PostRef:
    item_key: str
    status: str
    ts: str | None
    content_hash: str | None
    updated_at: datetime | None = None


def _thread_ref(row: Any) -> ThreadRef:
    return ThreadRef(
        row.target,
        row.conversation_id,
        row.generation,
        row.channel,
        row.parent_ts,
        row.lost_permalink,
    )


async def get_thread(session: AsyncSession, target: str, conversation_id: str) -> ThreadRef | None:
    row = (
        await session.execute(
            select(workspace_threads).where(
                workspace_threads.c.target == target,
                workspace_threads.c.conversation_id == conversation_id,
            )
        )
    ).first()
    return _thread_ref(row) if row is not None else None


async def open_thread(
    session: AsyncSession,
    target: str,
    conversation_id: str,
    channel: str,
    now: datetime,
    *,
    lost_permalink: str | None = None,
) -> ThreadRef:
    """Start (or restart, after a lost parent) the conversation's thread in a new generation."""
    current = await get_thread(session, target, conversation_id)
    if current is None:
        await session.execute(
            insert(workspace_threads).values(
                target=target,
                conversation_id=conversation_id,
                generation=1,
                channel=channel,
                parent_ts=None,
                lost_permalink=None,
                created_at=now,
            )
        )
        return ThreadRef(target, conversation_id, 1, channel, None, None)
    generation = current.generation + 1
    await session.execute(
        update(workspace_threads)
        .where(
            workspace_threads.c.target == target,
            workspace_threads.c.conversation_id == conversation_id,
        )
        .values(
            generation=generation, channel=channel, parent_ts=None, lost_permalink=lost_permalink
        )
    )
    return ThreadRef(target, conversation_id, generation, channel, None, lost_permalink)


async def set_parent(session: AsyncSession, thread: ThreadRef, parent_ts: str) -> None:
    await session.execute(
        update(workspace_threads)
        .where(
            workspace_threads.c.target == thread.target,
            workspace_threads.c.conversation_id == thread.conversation_id,
            workspace_threads.c.generation == thread.generation,
        )
        .values(parent_ts=parent_ts)
    )


async def posts(session: AsyncSession, thread: ThreadRef) -> dict[str, PostRef]:
    rows = (
        await session.execute(
            select(workspace_posts).where(
                workspace_posts.c.target == thread.target,
                workspace_posts.c.conversation_id == thread.conversation_id,
                workspace_posts.c.generation == thread.generation,
            )
        )
    ).all()
    return {
        r.item_key: PostRef(r.item_key, r.status, r.ts, r.content_hash, r.updated_at) for r in rows
    }


def _post_key(thread: ThreadRef, item_key: str) -> list[object]:
    return [
        workspace_posts.c.target == thread.target,
        workspace_posts.c.conversation_id == thread.conversation_id,
        workspace_posts.c.generation == thread.generation,
        workspace_posts.c.item_key == item_key,
    ]


async def begin_post(
    session: AsyncSession, thread: ThreadRef, item_key: str, now: datetime
) -> bool:
    """Claim the right to post an item; False when another worker already has it."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(workspace_posts).values(
                    target=thread.target,
                    conversation_id=thread.conversation_id,
                    generation=thread.generation,
                    item_key=item_key,
                    status=POSTING,
                    ts=None,
                    content_hash=None,
                    updated_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


async def finish_post(
    session: AsyncSession,
    thread: ThreadRef,
    item_key: str,
    ts: str,
    content_hash: str,
    now: datetime,
) -> None:
    await session.execute(
        update(workspace_posts)
        .where(and_(*_post_key(thread, item_key)))  # type: ignore[arg-type]
        .values(status=POSTED, ts=ts, content_hash=content_hash, updated_at=now)
    )


async def record_existing(
    session: AsyncSession,
    thread: ThreadRef,
    item_key: str,
    ts: str,
    content_hash: str,
    now: datetime,
) -> None:
    """An item that is already in the thread (a member wrote it there): never post it."""
    if await begin_post(session, thread, item_key, now):
        await finish_post(session, thread, item_key, ts, content_hash, now)


async def find_thread_by_parent(
    session: AsyncSession, channel: str, parent_ts: str
) -> ThreadRef | None:
    row = (
        await session.execute(
            select(workspace_threads).where(
                workspace_threads.c.channel == channel, workspace_threads.c.parent_ts == parent_ts
            )
        )
    ).first()
    return _thread_ref(row) if row is not None else None


async def find_post(session: AsyncSession, target: str, ts: str) -> tuple[str, str] | None:
    """Which conversation and item a posted message is, by its id on the platform."""
    row = (
        await session.execute(
            select(workspace_posts.c.conversation_id, workspace_posts.c.item_key).where(
                workspace_posts.c.target == target, workspace_posts.c.ts == ts
            )
        )
    ).first()
    return (row.conversation_id, row.item_key) if row is not None else None
