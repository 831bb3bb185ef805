"""Builds the digest scheduler from the settings; `main.py` decides whether to run it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.ports import Clock, DigestTarget
from knowledge.embeddings import Embedder
from scheduler.digests import DigestRunner
from scheduler.leader import LOCK_NAME, AdvisoryLockLeadership, Leadership, SingleInstance
from scheduler.retention import retention_job
from scheduler.service import DigestScheduler
from scheduler.targets import ConsoleDigestTarget, FileDigestTarget
from storage import digest_runs
from storage.database import Database
from storage.digest_runs import Subscription

SlackTargetFor = Callable[[str], DigestTarget]


def configured_subscriptions(settings: Settings) -> list[Subscription]:
    return [
        Subscription(
            id=d.id,
            target=d.target,
            store_ids=tuple(d.stores),
            client_id=d.client,
            cron=d.cron,
            timezone=d.timezone,
            cadence=d.cadence,
            created_by="config",
        )
        for d in settings.digests
    ]


def target_factory(slack_target: SlackTargetFor | None) -> Callable[[str], DigestTarget]:
    def target_for(target: str) -> DigestTarget:
        kind, _, rest = target.partition(":")
        if kind == "slack" and slack_target is not None:
            return slack_target(rest)
        if kind == "file" and rest:
            return FileDigestTarget(Path(rest))
        if kind == "console":
            return ConsoleDigestTarget()
        raise ValueError(f"no digest target can serve {target!r}")

    return target_for


def leadership_for(db: Database) -> Leadership:
    if db.dialect == "postgresql":
        # One lock per database, so deployments sharing a cluster do not block each other.
        name = f"{LOCK_NAME}:{make_url(db.url).database}"
        return AdvisoryLockLeadership(db.url, name)
    return SingleInstance()


def build_digest_scheduler(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    worker_id: str,
    embedder: Embedder | None,
    slack_target: SlackTargetFor | None,
    leadership: Leadership | None = None,
) -> DigestScheduler:
    runner = DigestRunner(
        db,
        clock,
        target_factory(slack_target),
        worker_id=worker_id,
        embedder=embedder,
        lease_seconds=settings.scheduler.lease_seconds,
    )
    from_config = configured_subscriptions(settings)

    async def subscriptions() -> list[Subscription]:
        async with db.read_sessions() as session:
            stored = await digest_runs.stored_subscriptions(session)
        configured_ids = {s.id for s in from_config}
        return from_config + [s for s in stored if s.id not in configured_ids]

    return DigestScheduler(
        runner,
        leadership or leadership_for(db),
        subscriptions,
        poll_seconds=settings.scheduler.poll_seconds,
        maintenance=[job for job in (retention_job(settings, db, clock),) if job is not None],
    )
