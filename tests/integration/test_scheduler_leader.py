"""Exactly one scheduler leads on a shared PostgreSQL; another takes over when it goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from scheduler.digests import DigestRunner
from scheduler.leader import AdvisoryLockLeadership
from scheduler.service import DigestScheduler
from scheduler.wiring import leadership_for, target_factory
from storage import migrate
from storage.database import Database, open_database
from storage.digest_runs import Subscription
from tests.support.digest_db import FixedClock

LOCK = "storedesk:scheduler:test"


@pytest.fixture
async def pg(postgres_url: str) -> AsyncIterator[Database]:
    db = open_database(postgres_url)
    await migrate.upgrade(db)
    yield db
    await db.dispose()


async def _until(condition, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_only_one_holds_the_lock_and_a_dead_leader_s_lock_passes_on(pg) -> None:
    first, second = AdvisoryLockLeadership(pg.url, LOCK), AdvisoryLockLeadership(pg.url, LOCK)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.still_held()
        # The leader's process dies: PostgreSQL ends its session (and so releases the lock).
        async with pg.writer.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                )
            )
            await admin.commit()
        assert not await first.still_held()
        assert await second.try_acquire()
        assert not await first.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_two_schedulers_one_leads_the_other_takes_over_when_it_stops(
    pg, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC))
    sub = Subscription(
        "daily", f"file:{tmp_path}", ("nw",), None, "0 9 * * *", "UTC", "day", "test"
    )

    async def listing() -> list[Subscription]:
        return [sub]

    def scheduler(worker: str) -> DigestScheduler:
        runner = DigestRunner(pg, clock, target_factory(None), worker_id=worker)
        return DigestScheduler(runner, leadership_for(pg), listing, poll_seconds=0.05)

    a, b = scheduler("a"), scheduler("b")
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    task_a = asyncio.create_task(a.run(stop_a))
    await _until(lambda: a.is_leader)
    task_b = asyncio.create_task(b.run(stop_b))
    try:
        await asyncio.sleep(0.3)  # several polls: b keeps trying and keeps failing
        assert a.is_leader and not b.is_leader
        stop_a.set()
        await asyncio.wait_for(task_a, timeout=5)
        await _until(lambda: b.is_leader)
        delivered = await asyncio.to_thread(lambda: [p.name for p in tmp_path.iterdir()])
        assert delivered == ["daily_2026-11-22"]  # once, by whichever led
    finally:
        stop_a.set()
        stop_b.set()
        await asyncio.wait_for(asyncio.gather(task_a, task_b), timeout=5)
