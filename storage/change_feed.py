"""Live-update hints for every instance: tail the audit log and fan out to subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.domain.events import Event
from storage import views
from storage.database import Database

logger = logging.getLogger(__name__)

SUBSCRIBER_QUEUE = 256


@dataclass(frozen=True)
class Change:
    store_id: str | None
    conversation_id: str | None


class ChangeFeed:
    """Reading the audit log (not in-process events) makes changes by any instance visible."""

    def __init__(self, db: Database, poll_seconds: float = 1.0) -> None:
        self._db = db
        self._poll = poll_seconds
        self._poke = asyncio.Event()
        self._subscribers: set[asyncio.Queue[Change]] = set()
        self._last_seq = 0

    def notify(self, _event: Event) -> None:
        """Bus listener: something was committed here, look now rather than at the next poll."""
        self._poke.set()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Change]]:
        queue: asyncio.Queue[Change] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def run(self, stop: asyncio.Event) -> None:
        async with self._db.read_sessions() as session:
            self._last_seq = await views.last_audit_seq(session)
        while not stop.is_set():
            try:
                await self._publish_new()
            except Exception:
                logger.exception("change feed poll failed")
            self._poke.clear()
            # With nobody watching, commits need not trigger reads: keep only the slow poll,
            # which keeps our position current for the next watcher.
            wake = self._poke.wait() if self._subscribers else stop.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake, timeout=self._poll)

    async def _publish_new(self) -> None:
        async with self._db.read_sessions() as session:
            rows = await views.audit_tail(session, self._last_seq)
        if not rows:
            return
        self._last_seq = rows[-1].seq
        changes = {Change(r.store_id, r.conversation_id) for r in rows}
        for queue in list(self._subscribers):
            for change in changes:
                if queue.full():
                    break  # a stalled client only misses hints; it refreshes on reconnect
                queue.put_nowait(change)
