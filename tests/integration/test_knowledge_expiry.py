"""Knowledge expiry on the scheduler: the leader retires articles past `valid_until` (a new
retired version, an audit event, gone from the index) with nobody restarting anything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.digest_config import SchedulerConfig
from bot.domain.model import Store, StoreMode
from knowledge.articles import ArticleRecord
from knowledge.index import KnowledgeIndex
from knowledge.service import KnowledgeBase
from scheduler.digests import DigestRunner
from scheduler.jobs import maintenance_jobs
from scheduler.leader import SingleInstance
from scheduler.maintenance import MaintenanceJob, MaintenanceRunner
from scheduler.service import DigestScheduler
from scheduler.wiring import target_factory
from storage import migrate
from storage.database import Database, open_database
from storage.directory import Directory, sync_articles, sync_directory
from storage.orm import audit_events, knowledge_articles
from tests.support.console_client import wait_until
from tests.support.digest_db import FixedClock

START = datetime(2026, 11, 23, 8, tzinfo=UTC)
SALE_ENDS = datetime(2026, 11, 23, 12, tzinfo=UTC)
SALE = ArticleRecord(
    "s/faq/black-friday",
    1,
    "s",
    "en",
    "Is there a Black Friday discount?",
    "Everything is 30% off with code FRIDAY until noon.",
    valid_until=SALE_ENDS,
)
RETURNS = ArticleRecord(
    "s/faq/returns", 1, "s", "en", "How do I return an item?", "Return within 30 days."
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url)
    await migrate.upgrade(database)
    async with database.write_sessions() as session, session.begin():
        store = Store("s", "Shop", "Brand", "EU", ["en"], "UTC", StoreMode.DRAFT)
        await sync_directory(session, Directory([store], [], []))
        await sync_articles(session, [SALE, RETURNS], START)
    yield database
    await database.dispose()


async def test_the_leader_retires_an_expired_article_and_search_stops_finding_it(
    db, embedder, tmp_path
) -> None:
    clock = FixedClock(START)
    index = KnowledgeIndex(tmp_path / "knowledge.lance", embedder)
    async with db.read_sessions() as session:
        rows = (await session.execute(select(knowledge_articles))).all()
    await index.sync([replace(SALE, version=1), replace(RETURNS, version=1)])
    assert len(rows) == 2
    kb = KnowledgeBase(db, index, clock)
    jobs = maintenance_jobs(SchedulerConfig(knowledge_expiry_seconds=60), kb)
    assert [job.name for job in jobs] == ["knowledge-expiry"]

    async def found() -> list[str]:
        return [hit.article_id for hit in await kb.search("s", "Black Friday discount code")]

    assert "s/faq/black-friday" in await found()
    runner = DigestRunner(db, clock, target_factory(None), worker_id="w")

    async def no_subscriptions() -> list:
        return []

    scheduler = DigestScheduler(
        runner,
        SingleInstance(),
        no_subscriptions,
        poll_seconds=0.05,
        maintenance=MaintenanceRunner(jobs, clock),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    try:
        await wait_until(lambda: scheduler.is_leader, within=5)
        await asyncio.sleep(0.2)  # ran before the sale ended: nothing to retire
        assert await _statuses(db) == {
            ("s/faq/black-friday", 1): "active",
            ("s/faq/returns", 1): "active",
        }

        clock.current = SALE_ENDS + timedelta(minutes=5)

        async def retired() -> bool:
            return (await _statuses(db)).get(("s/faq/black-friday", 2)) == "retired"

        await wait_until(retired, within=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    assert await _statuses(db) == {
        ("s/faq/black-friday", 1): "retired",
        ("s/faq/black-friday", 2): "retired",
        ("s/faq/returns", 1): "active",
    }
    async with db.read_sessions() as session:
        events = (
            await session.execute(
                select(audit_events.c.actor, audit_events.c.payload).where(
                    audit_events.c.kind == "knowledge_changed"
                )
            )
        ).all()
    assert [(e.actor, e.payload["why"], e.payload["article_id"]) for e in events] == [
        ("storedesk", "expired", "s/faq/black-friday")
    ]
    # Gone from the index itself, not only filtered by date: even asking as of the morning
    # (when the sale still ran) no longer finds it.
    clock.current = START
    assert "s/faq/black-friday" not in await found()
    assert "s/faq/returns" in [h.article_id for h in await kb.search("s", "return an item")]


async def _statuses(db: Database) -> dict[tuple[str, int], str]:
    async with db.read_sessions() as session:
        rows = await session.execute(
            select(
                knowledge_articles.c.id, knowledge_articles.c.version, knowledge_articles.c.status
            )
        )
        return {(r.id, r.version): r.status for r in rows}


async def test_maintenance_jobs_run_every_interval_and_a_failure_stops_no_other() -> None:
    clock = FixedClock(START)
    ran: list[str] = []

    async def broken() -> None:
        raise RuntimeError("database gone")

    async def counted() -> None:
        ran.append("counted")

    runner = MaintenanceRunner(
        [MaintenanceJob("broken", 60, broken), MaintenanceJob("counted", 60, counted)], clock
    )
    assert await runner.run_due() == ["counted"]
    assert await runner.run_due() == []  # not due again yet
    clock.current += timedelta(seconds=61)
    assert await runner.run_due() == ["counted"]
    runner.forget()  # leadership lost and regained: everything runs at once
    assert await runner.run_due() == ["counted"]
    assert ran == ["counted"] * 3
