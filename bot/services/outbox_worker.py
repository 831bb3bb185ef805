"""Delivers outbox rows: claim with a lease, rate-limit per target, back off, dead-letter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.domain.errors import DomainError
from bot.ports import Clock, DeliveryError, OutboxItem, UnitOfWork
from bot.services.rate_limit import RateLimiter
from bot.services.retry_policy import RetryPolicy

logger = logging.getLogger(__name__)


class TopicHandler(Protocol):
    async def deliver(self, item: OutboxItem) -> None:
        """Do the side effect and close the row (`outbox_done`) in the same transaction."""

    async def give_up(self, item: OutboxItem, error: str) -> None:
        """Dead-letter the row and leave evidence people can act on."""


@dataclass(frozen=True)
class WorkerSettings:
    batch_size: int = 20
    lease_seconds: float = 60.0
    poll_seconds: float = 0.5
    concurrency: int = 8


class OutboxWorker:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        handlers: Mapping[str, TopicHandler],
        limiter: RateLimiter,
        retry_policy: RetryPolicy,
        worker_id: str,
        settings: WorkerSettings | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._handlers = dict(handlers)
        self._limiter = limiter
        self._retry = retry_policy
        self._worker_id = worker_id
        self._settings = settings or WorkerSettings()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self._settings.concurrency)

    def wake(self) -> None:
        """Called when a row is enqueued in this process, so delivery need not wait a poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Keep every slot busy: a freed slot claims the next due row at once.

        Rows are not claimed in batches that must all finish first, so one slow platform
        call never holds back replies that are due meanwhile. On stop, rows in hand finish.
        """
        running: set[asyncio.Task[None]] = set()
        in_flight: set[int] = set()
        heartbeat = asyncio.create_task(self._heartbeat(in_flight, until=stop))
        try:
            while not stop.is_set():
                # Cleared before claiming: a wake-up that arrives while we work is not lost.
                self._wake.clear()
                free = self._settings.concurrency - len(running)
                wanted = min(free, self._settings.batch_size)
                claimed = await self._claim_safely(wanted) if wanted > 0 else []
                for item in claimed:
                    in_flight.add(item.id)
                    task = asyncio.create_task(self._guarded(item, in_flight))
                    running.add(task)
                    task.add_done_callback(self._slot_freed(running))
                if wanted == 0 or len(claimed) < wanted:
                    await self._sleep(stop)  # a freed slot, a new row or the poll wakes us
        finally:
            await asyncio.gather(*running, return_exceptions=True)
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)

    def _slot_freed(self, running: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
        def freed(task: asyncio.Task[None]) -> None:
            running.discard(task)
            self._wake.set()

        return freed

    async def _claim_safely(self, limit: int) -> list[OutboxItem]:
        try:
            return await self._claim(limit)
        except Exception:
            logger.exception("outbox claim failed; retrying after a pause")
            return []

    async def _claim(self, limit: int) -> list[OutboxItem]:
        async with self._uow_factory() as uow:
            items = await uow.repo.claim_outbox(
                self._worker_id, limit, self._settings.lease_seconds
            )
            await uow.commit()
        return items

    async def _sleep(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self._settings.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def run_once(self) -> int:
        """Claim one batch and finish it; returns how many rows were claimed (tests, CLI)."""
        items = await self._claim(self._settings.batch_size)
        if items:
            in_flight = {item.id for item in items}
            heartbeat = asyncio.create_task(self._heartbeat(in_flight))
            try:
                await asyncio.gather(*(self._guarded(item, in_flight) for item in items))
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
        return len(items)

    async def _heartbeat(self, in_flight: set[int], until: asyncio.Event | None = None) -> None:
        """Renew the lease of rows still in hand, so a slow row is not taken over.

        Only a worker that stops renewing (it died) loses its rows to another instance.
        Without `until`, it ends when the rows in hand are done.
        """
        lease = self._settings.lease_seconds
        while in_flight or (until is not None and not until.is_set()):
            await asyncio.sleep(lease / 3)
            if not in_flight:
                continue
            try:
                async with self._uow_factory() as uow:
                    await uow.repo.extend_outbox_lease(self._worker_id, sorted(in_flight), lease)
                    await uow.commit()
            except Exception:
                logger.exception("could not renew outbox leases; retrying")

    async def drain(self, max_cycles: int = 1000) -> int:
        """Process until nothing is due (for tests and the CLI); bounded by max_cycles."""
        total = 0
        for _ in range(max_cycles):
            claimed = await self.run_once()
            if claimed == 0:
                return total
            total += claimed
        return total

    async def _guarded(self, item: OutboxItem, in_flight: set[int]) -> None:
        async with self._slots:
            try:
                await self._process(item)
            except Exception:
                logger.exception("outbox row %s (%s) could not be processed", item.id, item.key)
            finally:
                in_flight.discard(item.id)

    async def _process(self, item: OutboxItem) -> None:
        handler = self._handlers.get(item.topic)
        if handler is None:
            await self._fail(item, None, f"no handler for topic {item.topic}", permanent=True)
            return
        wait = self._limiter.try_acquire(item.target)
        if wait > 0:
            await self._reschedule(item, wait, error=None, count_attempt=False)
            return
        try:
            await handler.deliver(item)
        except DeliveryError as failure:
            if failure.retry_after is not None and not failure.permanent:
                # Rate limited: come back when told, without spending an attempt.
                await self._reschedule(
                    item, failure.retry_after, error=str(failure), count_attempt=False
                )
                return
            await self._fail(item, handler, str(failure), permanent=failure.permanent)
        except DomainError as failure:
            await self._fail(item, handler, f"{type(failure).__name__}: {failure}", permanent=True)
        except Exception as failure:
            logger.warning("delivery of %s failed: %r", item.key, failure)
            await self._fail(item, handler, f"{type(failure).__name__}: {failure}", permanent=False)

    async def _fail(
        self, item: OutboxItem, handler: TopicHandler | None, error: str, *, permanent: bool
    ) -> None:
        attempt = item.attempts + 1
        if permanent or attempt >= item.max_attempts:
            if handler is not None:
                await handler.give_up(item, error)
            else:
                async with self._uow_factory() as uow:
                    await uow.repo.kill_outbox(item.id, error)
                    await uow.commit()
            return
        await self._reschedule(item, self._retry.delay(attempt), error=error, count_attempt=True)

    async def _reschedule(
        self, item: OutboxItem, delay: float, *, error: str | None, count_attempt: bool
    ) -> None:
        async with self._uow_factory() as uow:
            at = self._clock.now() + timedelta(seconds=delay)
            await uow.repo.reschedule_outbox(item.id, at, error, count_attempt=count_attempt)
            await uow.commit()
