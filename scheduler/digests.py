"""Running one digest: claim its key, build the report and charts, deliver, record.

The key is subscription + period. A delivered key is never run again; a run interrupted by
a crash keeps its claim until the lease ends and is then completed once by whoever leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.ports import Clock, Digest, DigestTarget
from bot.services.digest_report import render_markdown
from bot.services.periods import Period, completed_before
from knowledge.embeddings import Embedder
from scheduler.charts import digest_charts
from scheduler.report import build_report, scope_stores
from storage import digest_runs
from storage.database import Database
from storage.digest_runs import Subscription

logger = logging.getLogger(__name__)

TargetFor = Callable[[str], DigestTarget]
MAX_FIRE_STEPS = 20_000


def latest_fire(cron: str, timezone: str, now: datetime, cadence: str) -> datetime | None:
    """The last time the cron fired at or before `now`, looking back one period and a day."""
    trigger = CronTrigger.from_crontab(cron, timezone=timezone)
    moment = now - timedelta(days=8 if cadence == "week" else 2)
    latest = None
    for _ in range(MAX_FIRE_STEPS):
        fire = trigger.get_next_fire_time(None, moment)
        if fire is None or fire > now:
            break
        latest, moment = fire, fire + timedelta(seconds=1)
    return latest


def run_key(subscription_id: str, period: Period) -> str:
    return f"{subscription_id}:{period.label}"


class DigestRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        target_for: TargetFor,
        *,
        worker_id: str,
        embedder: Embedder | None = None,
        lease_seconds: float = 600.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._target_for = target_for
        self._worker_id = worker_id
        self._embedder = embedder
        self._lease_seconds = lease_seconds

    async def run_due(self, subscription: Subscription) -> bool:
        """Deliver the period of the latest due fire time, unless that key is done."""
        fire = latest_fire(
            subscription.cron, subscription.timezone, self._clock.now(), subscription.cadence
        )
        if fire is None:
            return False
        period = completed_before(fire, subscription.cadence, subscription.timezone)
        return await self.run(subscription, period)

    async def run(self, subscription: Subscription, period: Period) -> bool:
        """True when this call delivered the digest; False when there was nothing to do."""
        key = run_key(subscription.id, period)
        async with self._db.read_sessions() as session:
            known = await digest_runs.run_status(session, key)
        if known is not None and known["status"] == digest_runs.DELIVERED:
            return False  # the common case on every poll: no write transaction needed
        async with self._db.write_sessions() as session, session.begin():
            attempt = await digest_runs.claim_run(
                session,
                key=key,
                subscription_id=subscription.id,
                period_label=period.label,
                worker=self._worker_id,
                now=self._clock.now(),
                lease_seconds=self._lease_seconds,
            )
        if attempt is None:
            return False
        try:
            digest, store_ids = await self._compose_with_scope(subscription, period, key)
            await self._target_for(subscription.target).deliver(digest)
        except Exception as failure:
            logger.exception("digest %s failed (attempt %s)", key, attempt)
            async with self._db.write_sessions() as session, session.begin():
                await digest_runs.fail_run(session, key, f"{type(failure).__name__}: {failure}")
            return False
        async with self._db.write_sessions() as session, session.begin():
            await digest_runs.finish_run(
                session,
                key,
                text=digest.markdown,
                target=subscription.target,
                store_ids=store_ids,
                now=self._clock.now(),
            )
        return True

    async def compose(self, subscription: Subscription, period: Period, key: str) -> Digest:
        digest, _stores = await self._compose_with_scope(subscription, period, key)
        return digest

    async def _compose_with_scope(
        self, subscription: Subscription, period: Period, key: str
    ) -> tuple[Digest, list[str]]:
        stores = await scope_stores(self._db, subscription.store_ids, subscription.client_id)
        if subscription.client_id is not None:
            title = f"client {subscription.client_id}"
        else:
            title = ", ".join(s.name for s in stores) or "no stores"
        report = await build_report(self._db, stores, title, period, self._embedder)
        images = await asyncio.to_thread(digest_charts, report)
        digest = Digest(key=key, title=title, markdown=render_markdown(report), images=images)
        return digest, [s.id for s in stores]
