"""What every workspace mirror does around its platform calls.

Lark, WeCom and Telegram differ in how they post, but not in the bookkeeping: one sync of
a conversation at a time in this process, the conversation read once per sync, its thread
row opened once, the outbox row closed or dead-lettered, and the timeline ordered the same
way (at one instant: messages, then drafts, then events).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.ports import Clock, OutboxItem
from storage import outbox as outbox_rows
from storage import views
from storage import workspace_posts as wp
from storage.database import Database

T = TypeVar("T")
K = TypeVar("K")

# The order of things that happened at the same instant (knowledge cards follow the edit).
MESSAGE, DRAFT, EVENT, KNOWLEDGE = 0, 1, 2, 3


@dataclass(frozen=True)
class Snapshot:
    """A conversation as one sync shows it."""

    detail: dict[str, Any]
    drafts: list[dict[str, Any]]


@dataclass
class Timeline(Generic[T]):
    """A thread's items in the order they happened."""

    _entries: list[tuple[str, int, T]] = field(default_factory=list)

    def add(self, at: str, kind: int, item: T) -> None:
        self._entries.append((at, kind, item))

    def items(self) -> list[T]:
        return [item for _at, _kind, item in sorted(self._entries, key=lambda e: (e[0], e[1]))]


@dataclass
class _SharedLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class KeyedLocks:
    """One lock per key, kept only while someone holds or awaits it.

    Dropping a lock as soon as it is free let a third caller make a fresh one and run
    beside the caller just woken: two syncs of one thread at once.
    """

    def __init__(self) -> None:
        self._held: dict[str, _SharedLock] = {}

    def __len__(self) -> int:
        return len(self._held)

    async def run(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        entry = self._held.get(key)
        if entry is None:
            entry = self._held[key] = _SharedLock()
        entry.users += 1
        try:
            async with entry.lock:
                await work()
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._held[key]


class ThreadSync:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._syncs = KeyedLocks()

    async def one_at_a_time(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Two syncs of one conversation in this process would post the same item twice."""
        await self._syncs.run(key, work)

    async def snapshot(self, conversation_id: str) -> Snapshot | None:
        async with self._db.read_sessions() as session:
            detail = await views.conversation_detail(session, conversation_id)
            if detail is None:
                return None
            drafts = await views.conversation_drafts(session, conversation_id)
        return Snapshot(detail, list(drafts))

    async def thread(self, target: str, conversation_id: str, channel: str) -> wp.ThreadRef:
        async with self._db.write_sessions() as session, session.begin():
            thread = await wp.get_thread(session, target, conversation_id)
            if thread is None:
                thread = await wp.open_thread(
                    session, target, conversation_id, channel, self._clock.now()
                )
        return thread

    async def posted(self, thread: wp.ThreadRef) -> dict[str, wp.PostRef]:
        async with self._db.read_sessions() as session:
            return dict(await wp.posts(session, thread))

    async def done(self, item: OutboxItem) -> None:
        async with self._db.write_sessions() as session, session.begin():
            await outbox_rows.mark_sent(session, item.id, self._clock.now())

    async def dead(self, item: OutboxItem, error: str) -> None:
        async with self._db.write_sessions() as session, session.begin():
            await outbox_rows.mark_dead(session, item.id, now=self._clock.now(), error=error)

    async def created_once(
        self,
        key: str,
        find: Callable[[], Awaitable[K | None]],
        create: Callable[[], Awaitable[K]],
    ) -> K:
        """A group or topic made on demand: looked up, else created by one caller only."""
        known = await find()
        if known is not None:
            return known
        async with self._locks.setdefault(key, asyncio.Lock()):
            known = await find()
            return known if known is not None else await create()
