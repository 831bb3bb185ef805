"""The digest scheduler: APScheduler cron jobs, run only while this instance leads.

APScheduler 3.x keeps its jobs in memory here. What must survive a restart lives in the
database instead: each run's key (subscription + period). On becoming leader, and on every
poll, each subscription's latest due period is run if its key is not yet delivered, so a
digest missed during downtime is caught up once and a restart repeats nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.digests import DigestRunner
from scheduler.leader import Leadership
from storage.digest_runs import Subscription

logger = logging.getLogger(__name__)

RELEASE_SECONDS = 5.0
Subscriptions = Callable[[], Awaitable[list[Subscription]]]
MaintenanceJob = Callable[[], Awaitable[object]]


class DigestScheduler:
    def __init__(
        self,
        runner: DigestRunner,
        leadership: Leadership,
        subscriptions: Subscriptions,
        *,
        poll_seconds: float = 15.0,
        maintenance: Sequence[MaintenanceJob] = (),
    ) -> None:
        self._runner = runner
        self._leadership = leadership
        self._subscriptions = subscriptions
        self._poll_seconds = poll_seconds
        self._aps: AsyncIOScheduler | None = None
        self._jobs: dict[str, Subscription] = {}
        self._maintenance = list(maintenance)

    @property
    def is_leader(self) -> bool:
        return self._aps is not None

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self._tick()
                except Exception:
                    logger.exception("digest scheduler tick failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)
        finally:
            self._step_down()
            # Bounded: stopping the app must never wait on a database that does not answer.
            try:
                await asyncio.wait_for(self._leadership.release(), timeout=RELEASE_SECONDS)
            except Exception as failure:  # TimeoutError included
                logger.warning("digest scheduler: leadership release failed (%r)", failure)

    async def _tick(self) -> None:
        if self._aps is None:
            if not await self._leadership.try_acquire():
                return
            logger.info("digest scheduler: this instance leads")
            self._aps = AsyncIOScheduler(timezone=UTC)
            self._aps.start()
            self._jobs = {}
        elif not await self._leadership.still_held():
            self._step_down()
            return
        subscriptions = await self._subscriptions()
        self._sync_jobs(subscriptions)
        for subscription in subscriptions:  # catch-up and retries; a done key is a no-op
            await self._runner.run_due(subscription)
        for job in self._maintenance:  # idempotent, bounded jobs (retention), leader only
            try:
                await job()
            except Exception:
                logger.exception("maintenance job failed")

    def _sync_jobs(self, subscriptions: list[Subscription]) -> None:
        assert self._aps is not None
        wanted = {s.id: s for s in subscriptions}
        for gone in set(self._jobs) - set(wanted):
            self._aps.remove_job(gone)
            del self._jobs[gone]
        for subscription_id, subscription in wanted.items():
            if self._jobs.get(subscription_id) == subscription:
                continue
            self._aps.add_job(
                self._runner.run_due,
                CronTrigger.from_crontab(subscription.cron, timezone=subscription.timezone),
                args=[subscription],
                id=subscription_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
            self._jobs[subscription_id] = subscription

    def _step_down(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
            self._jobs = {}
            logger.info("digest scheduler: no longer leading")
