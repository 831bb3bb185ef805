"""The async unit of work: rolls back unless committed; outbox and audit share its transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.events import ConversationChanged, Event, OutboxEnqueued
from bot.domain.model import new_id
from bot.ports import Clock
from bot.services.topics import MIRROR as MIRROR_TOPIC
from storage import audit
from storage import outbox as outbox_rows
from storage.customer_links import SqlCustomerLinks
from storage.database import Database
from storage.grants import SqlMemberships
from storage.repository import SqlRepository

DEFAULT_MAX_ATTEMPTS = 8
MirrorTargets = Callable[[str], Sequence[str]]


class SqlUnitOfWork:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        mirrors: MirrorTargets = lambda _store_id: (),
    ) -> None:
        self._db = db
        self._clock = clock
        self._max_attempts = max_attempts
        self._mirrors = mirrors
        self._mirrored_upto = 0
        self.events: list[Event] = []
        self._audit: list[audit.PendingEvent] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._db.write_sessions()
        await self._session.begin()
        self.repo = SqlRepository(self._session, self._clock)
        self.memberships = SqlMemberships(self._session, self._clock.now)
        self.links = SqlCustomerLinks(self._session, self._clock)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # Detach first: what a read-only block loaded stays readable after rollback.
            self.session.expunge_all()
            await self.rollback()
        finally:
            await self.session.close()
            self._session = None

    async def commit(self) -> None:
        await self._enqueue_mirrors()
        if self._audit:
            await self.session.flush()
            await audit.append_events(self.session, self._audit)
            self._audit = []
        await self.session.commit()

    async def _enqueue_mirrors(self) -> None:
        """Workspace threads follow every committed change, through the outbox like any post."""
        changed = {
            (event.store_id, event.conversation_id)
            for event in self.events[self._mirrored_upto :]
            if isinstance(event, ConversationChanged)
        }
        self._mirrored_upto = len(self.events)
        for store_id, conversation_id in sorted(changed):
            for target in self._mirrors(store_id):
                if await outbox_rows.has_fresh(self.session, MIRROR_TOPIC, target, conversation_id):
                    continue  # a sync that has not started yet will see this change too
                await self.enqueue(
                    MIRROR_TOPIC,
                    key=f"mirror:{target}:{conversation_id}:{new_id()}",
                    target=target,
                    payload={"target": target},
                    store_id=store_id,
                    conversation_id=conversation_id,
                )

    async def rollback(self) -> None:
        self._mirrored_upto = len(self.events)
        self._audit = []
        await self.session.rollback()

    def record(self, event: Event) -> None:
        self.events.append(event)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlRepository]:
        """Reads that need no write lock (on SQLite, they do not queue behind writers)."""
        async with self._db.read_sessions() as session:
            yield SqlRepository(session, self._clock)

    async def audit(
        self,
        kind: str,
        *,
        actor: str,
        store_id: str | None,
        conversation_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self._audit.append(
            audit.PendingEvent(
                at=self._clock.now(),
                actor=actor,
                kind=kind,
                store_id=store_id,
                conversation_id=conversation_id,
                payload=payload or {},
            )
        )

    async def enqueue(
        self,
        topic: str,
        *,
        key: str,
        target: str,
        payload: dict[str, Any],
        store_id: str | None = None,
        conversation_id: str | None = None,
        delay_seconds: float = 0.0,
    ) -> None:
        await outbox_rows.enqueue(
            self.session,
            now=self._clock.now(),
            topic=topic,
            key=key,
            target=target,
            payload=payload,
            store_id=store_id,
            conversation_id=conversation_id,
            max_attempts=self._max_attempts,
            delay_seconds=delay_seconds,
        )
        self.record(OutboxEnqueued(topic))

    async def outbox_done(self, item_id: int) -> None:
        await outbox_rows.mark_sent(self.session, item_id, self._clock.now())


def unit_of_work_factory(
    db: Database,
    clock: Clock,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    mirrors: MirrorTargets = lambda _store_id: (),
) -> Callable[[], SqlUnitOfWork]:
    return lambda: SqlUnitOfWork(db, clock, max_attempts, mirrors)
