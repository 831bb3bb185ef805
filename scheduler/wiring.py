"""Builds the digest scheduler from the settings; `main.py` decides whether to run it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.ports import Clock, DigestTarget
from bot.workspaces.email_digest import EmailDigestTarget
from knowledge.embeddings import Embedder
from scheduler.digests import DigestRunner
from scheduler.leader import LOCK_NAME, AdvisoryLockLeadership, Leadership, SingleInstance
from scheduler.maintenance import MaintenanceJob, MaintenanceRunner
from scheduler.retention import retention_job
from scheduler.service import DigestScheduler
from scheduler.targets import ConsoleDigestTarget, FileDigestTarget
from storage import digest_runs
from storage.database import Database
from storage.digest_delivery import PartLog
from storage.digest_runs import Subscription

if TYPE_CHECKING:  # python-telegram-bot loads only when a team bot is configured
    from telegram import Bot as TelegramBot

SlackTargetFor = Callable[[str], DigestTarget]
TargetMaker = Callable[[str], DigestTarget]


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


def target_factory(
    slack_target: SlackTargetFor | None,
    *,
    db: Database | None = None,
    others: Mapping[str, TargetMaker] | None = None,
) -> Callable[[str], DigestTarget]:
    """`others` maps a target kind (`telegram`, `email`) to what builds it from the rest."""
    makers = dict(others or {})

    def target_for(target: str) -> DigestTarget:
        kind, _, rest = target.partition(":")
        if kind == "slack" and slack_target is not None:
            return slack_target(rest)
        if kind in makers and rest:
            return makers[kind](rest)
        if kind == "file" and rest:
            return FileDigestTarget(Path(rest))
        if kind == "console":
            return ConsoleDigestTarget(db)
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
    telegram_bot: TelegramBot | None = None,
    jobs: Sequence[MaintenanceJob] = (),
) -> DigestScheduler:
    others: dict[str, TargetMaker] = {}
    progress = PartLog(db, clock)
    if telegram_bot is not None:
        from bot.workspaces.telegram.digest_target import TelegramDigestTarget

        others["telegram"] = lambda chat: TelegramDigestTarget(telegram_bot, int(chat), progress)
    if settings.digest_email is not None:
        mail = settings.digest_email
        mail.resolve_password()  # a named but unset password variable fails at start
        others["email"] = lambda to: EmailDigestTarget(mail, to.split(","), progress)
    runner = DigestRunner(
        db,
        clock,
        target_factory(slack_target, db=db, others=others),
        worker_id=worker_id,
        embedder=embedder,
        lease_seconds=settings.scheduler.lease_seconds,
    )
    from_config = configured_subscriptions(settings)
    retention = retention_job(settings, db, clock)
    all_jobs = [*(jobs or ()), *([retention] if retention else [])]

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
        maintenance=MaintenanceRunner(all_jobs, clock) if all_jobs else None,
    )
