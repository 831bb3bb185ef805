"""Outbox delivery: bounded retries, visible dead letters, a lead's retry, pacing and leases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.bootstrap import Core, bootstrap
from bot.domain.commands import ReceiveCustomerMessage
from bot.ports import DraftProposal, DraftRequest, KnowledgeHit, KnowledgeScope
from bot.services.outbox_worker import WorkerSettings
from bot.services.rate_limit import RateLimiter
from main import directory_from
from storage import migrate, views
from storage.database import Database, open_database
from storage.directory import sync_directory
from storage.orm import audit_events, drafts, messages, outbox
from storage.uow import unit_of_work_factory
from tests.support.config import make_settings
from tests.support.console_client import ConsoleClient

MAX_ATTEMPTS = 4  # tests/support/config.py: outbox.max_attempts


async def eventually(check, within: float = 10.0, interval: float = 0.02) -> Any:
    """Poll an async check (bounded) until it returns something truthy, and return that."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(interval)


async def outbox_row(db: Database, key: str) -> Any:
    async with db.read_sessions() as session:
        return (await session.execute(select(outbox).where(outbox.c.key == key))).one()


async def delivery_status(db: Database, message_id: str) -> str | None:
    async with db.read_sessions() as session:
        status = (
            await session.execute(
                select(messages.c.delivery_status).where(messages.c.id == message_id)
            )
        ).scalar_one()
    return status.value if status else None


# --- through the running app ----------------------------------------------------------------


async def test_reply_that_keeps_failing_is_dead_lettered_and_a_lead_can_retry_it(
    app, callback_server
):
    callback_server.fail_next = 100  # the marketplace answers 503 until told otherwise
    received = await app.core.bus.handle(
        ReceiveCustomerMessage(
            "nw-market", "m-1", "c-1", "Jo", "Which payment methods do you accept?"
        )
    )
    async with ConsoleClient(app, "sam") as lead, ConsoleClient(app, "ana") as agent:
        draft = (await lead.wait_for_draft(received.conversation_id))["draft"]
        status, approved = await lead.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 200, approved
        reply_id = approved["result"]
        key = f"send:{draft['id']}"

        async def dead() -> Any:
            row = await outbox_row(app.db, key)
            return row if row.status == "dead" else None

        row = await eventually(dead)
        assert 100 - callback_server.fail_next == MAX_ATTEMPTS
        assert row.attempts == MAX_ATTEMPTS
        assert "503" in row.last_error
        assert callback_server.calls == []
        assert await delivery_status(app.db, reply_id) == "failed"
        async with app.db.read_sessions() as session:
            failures = (
                await session.execute(
                    select(audit_events).where(audit_events.c.kind == "delivery_failed")
                )
            ).all()
        assert len(failures) == 1
        assert failures[0].payload["outbox_id"] == row.id
        assert failures[0].payload["message_id"] == reply_id
        assert failures[0].conversation_id == received.conversation_id

        status, listing = await lead.get("/api/stores/northwind/dead-letters")
        assert status == 200
        assert [(i["id"], i["key"], i["attempts"]) for i in listing["items"]] == [
            (row.id, key, MAX_ATTEMPTS)
        ]
        assert "503" in listing["items"][0]["last_error"]
        thread = (await lead.get(f"/api/conversations/{received.conversation_id}"))[1]
        outbound = [m for m in thread["messages"] if m["direction"] == "out"]
        assert [m["delivery_status"] for m in outbound] == ["failed"]

        status, refused = await agent.post(f"/api/outbox/{row.id}/retry")
        assert status == 403, refused
        assert (await outbox_row(app.db, key)).status == "dead"

        callback_server.fail_next = 0
        status, retried = await lead.post(f"/api/outbox/{row.id}/retry")
        assert status == 200, retried

        async def sent() -> bool:
            return (await outbox_row(app.db, key)).status == "sent"

        await eventually(sent)
        await asyncio.sleep(0.3)  # room for a wrongly repeated delivery to show up
        assert len(callback_server.calls) == 1
        assert callback_server.calls[0].headers["Idempotency-Key"] == key
        assert await delivery_status(app.db, reply_id) == "sent"
        assert (await lead.get("/api/stores/northwind/dead-letters"))[1]["items"] == []

        status, again = await lead.post(f"/api/outbox/{row.id}/retry")
        assert status == 409, again

    async with app.db.read_sessions() as session:
        kinds = (
            await session.execute(
                select(audit_events.c.kind, audit_events.c.actor).where(
                    audit_events.c.kind.in_(["denied", "delivery_retried"])
                )
            )
        ).all()
    assert sorted(kinds) == [("delivery_retried", "sam"), ("denied", "ana")]


# --- a worker of our own, with a fake clock ---------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
        self.monotonic = 5000.0

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.monotonic += seconds


class NoKnowledge:
    async def search(self, scope: KnowledgeScope, text: str, limit: int = 3) -> list[KnowledgeHit]:
        return []


class NoDraft:
    async def draft(self, request: DraftRequest) -> DraftProposal:
        return DraftProposal(text=None, note="no knowledge")


WORKER_ID = "worker-under-test"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}")
    await migrate.upgrade(database)
    directory = directory_from(make_settings(tmp_path / "data", "http://127.0.0.1:9"))
    async with database.write_sessions() as session, session.begin():
        await sync_directory(session, directory)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def core(db: Database, clock: FakeClock) -> Core:
    return bootstrap(
        uow_factory=unit_of_work_factory(db, clock, MAX_ATTEMPTS),
        clock=clock,
        retriever=NoKnowledge(),
        drafter=NoDraft(),
        channel_for=lambda _account: None,
        worker_id=WORKER_ID,
        limiter=RateLimiter(rate_per_second=1, burst=1, monotonic=lambda: clock.monotonic),
    )


def worker_core(
    db: Database, clock: FakeClock, drafter: Any, worker_id: str = WORKER_ID, **worker: Any
) -> Core:
    """A core with no knowledge and no channels, whose drafter and worker the test picks."""
    return bootstrap(
        uow_factory=unit_of_work_factory(db, clock, MAX_ATTEMPTS),
        clock=clock,
        retriever=NoKnowledge(),
        drafter=drafter,
        channel_for=lambda _account: None,
        worker_id=worker_id,
        worker_settings=WorkerSettings(**worker) if worker else None,
    )


async def receive(core: Core, external_id: str, customer: str) -> str:
    result = await core.bus.handle(
        ReceiveCustomerMessage("nw-market", external_id, customer, "Jo", "Hello?")
    )
    return result.message_id


async def all_rows(db: Database) -> list[Any]:
    async with db.read_sessions() as session:
        return list(await session.execute(select(outbox).order_by(outbox.c.id)))


async def draft_count(db: Database) -> int:
    async with db.read_sessions() as session:
        return (await session.execute(select(func.count()).select_from(drafts))).scalar_one()


async def test_rate_limited_row_is_rescheduled_without_counting_an_attempt(core, db, clock):
    await receive(core, "m-1", "c-1")
    await receive(core, "m-2", "c-2")  # both rows target pipeline:northwind

    assert await core.worker.run_once() == 2

    done, waiting = sorted(await all_rows(db), key=lambda r: r.status != "sent")
    assert done.status == "sent"
    assert waiting.target == done.target
    assert waiting.status == "pending"
    assert waiting.attempts == 0
    assert waiting.last_error is None
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=1)
    assert await draft_count(db) == 1

    assert await core.worker.run_once() == 0  # not due yet
    clock.advance(1.0)
    assert await core.worker.run_once() == 1
    rows = await all_rows(db)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [r.attempts for r in rows] == [0, 0]
    assert await draft_count(db) == 2


async def _lease(db: Database, until: datetime) -> None:
    async with db.writer.begin() as connection:
        await connection.execute(
            update(outbox).values(status="sending", claimed_by="crashed-worker", lease_until=until)
        )


async def test_row_whose_lease_expired_is_claimed_again(core, db, clock):
    await receive(core, "m-1", "c-1")
    await _lease(db, clock.now() - timedelta(seconds=1))

    assert await core.worker.run_once() == 1

    (row,) = await all_rows(db)
    assert row.status == "sent"
    assert row.claimed_by == WORKER_ID
    assert await draft_count(db) == 1


async def test_row_with_a_live_lease_is_left_to_its_worker(core, db, clock):
    await receive(core, "m-1", "c-1")
    await _lease(db, clock.now() + timedelta(seconds=30))

    assert await core.worker.run_once() == 0

    (row,) = await all_rows(db)
    assert (row.status, row.claimed_by) == ("sending", "crashed-worker")
    assert await draft_count(db) == 0
    clock.advance(31)
    assert await core.worker.run_once() == 1
    assert (await all_rows(db))[0].status == "sent"


async def test_dead_letter_listing_shows_when_the_row_died(core, db, clock):
    await receive(core, "m-1", "c-1")
    (row,) = await all_rows(db)
    clock.advance(90)
    async with unit_of_work_factory(db, clock, MAX_ATTEMPTS)() as uow:
        await uow.repo.kill_outbox(row.id, "gave up")
        await uow.commit()

    async with db.read_sessions() as session:
        (item,) = await views.dead_letters(session, ["northwind"])

    assert item["id"] == row.id
    assert item["updated_at"] == clock.now().isoformat()


async def test_a_reclaimed_row_is_marked_in_doubt_and_a_fresh_one_is_not(core, db, clock):
    await receive(core, "m-1", "c-1")
    await receive(core, "m-2", "c-2")
    first, second = await all_rows(db)
    async with db.writer.begin() as connection:
        await connection.execute(
            update(outbox)
            .where(outbox.c.id == first.id)
            .values(
                status="sending",
                claimed_by="crashed-worker",
                lease_until=clock.now() - timedelta(seconds=1),
            )
        )
    async with unit_of_work_factory(db, clock, MAX_ATTEMPTS)() as uow:
        claimed = await uow.repo.claim_outbox("w", 10, 60)
        await uow.commit()

    assert {item.id: item.in_doubt for item in claimed} == {first.id: True, second.id: False}


class SlowDrafter:
    """Drafting that outlasts several leases, while the test watches the row."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def draft(self, request: DraftRequest) -> DraftProposal:
        self.started.set()
        await asyncio.wait_for(self.release.wait(), timeout=10)
        return DraftProposal(text=None, note="no knowledge")


async def test_a_slow_row_keeps_its_lease_while_its_worker_lives(db, clock):
    drafter = SlowDrafter()
    core = worker_core(db, clock, drafter, lease_seconds=0.3)
    await receive(core, "m-1", "c-1")
    working = asyncio.create_task(core.worker.run_once())
    await asyncio.wait_for(drafter.started.wait(), timeout=10)
    (claimed,) = await all_rows(db)

    clock.advance(5)  # far past the first lease: only a heartbeat keeps the row
    await asyncio.sleep(0.35)  # at least one heartbeat (every lease/3)
    (renewed,) = await all_rows(db)
    assert renewed.status == "sending"
    assert renewed.lease_until > claimed.lease_until
    async with unit_of_work_factory(db, clock, MAX_ATTEMPTS)() as uow:
        assert await uow.repo.claim_outbox("other-instance", 10, 60) == []
        await uow.commit()

    drafter.release.set()
    assert await working == 1
    assert (await all_rows(db))[0].status == "sent"


async def test_two_workers_drafting_one_message_leave_one_draft_and_a_finished_row(db, clock):
    """A row taken over from a slow (not dead) worker: both draft; the second is a no-op."""
    slow = SlowDrafter()
    first = worker_core(db, clock, slow, "slow-worker", lease_seconds=30)
    second = worker_core(db, clock, NoDraft(), "second-worker")
    await receive(first, "m-1", "c-1")
    working = asyncio.create_task(first.worker.run_once())
    await asyncio.wait_for(slow.started.wait(), timeout=10)
    clock.advance(60)  # the slow worker's lease ran out before its heartbeat

    assert await second.worker.run_once() == 1
    assert (await all_rows(db))[0].status == "sent"
    slow.release.set()
    await working

    (row,) = await all_rows(db)
    assert row.status == "sent"  # not put back in the queue by the late worker
    assert await draft_count(db) == 1


class FirstDraftSlow:
    """The first draft hangs until released; every later one answers at once."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def draft(self, request: DraftRequest) -> DraftProposal:
        if not self.started.is_set():
            self.started.set()
            await asyncio.wait_for(self.release.wait(), timeout=10)
        return DraftProposal(text=None, note="no knowledge")


async def test_a_slow_row_does_not_hold_back_rows_that_come_due_after_it(db, clock):
    """A freed slot claims the next row at once: no batch waits for its slowest member."""
    drafter = FirstDraftSlow()
    core = worker_core(db, clock, drafter, poll_seconds=0.05, concurrency=4)
    stop = asyncio.Event()
    await receive(core, "m-slow", "c-1")
    running = asyncio.create_task(core.worker.run(stop))
    try:
        await asyncio.wait_for(drafter.started.wait(), timeout=10)
        await receive(core, "m-quick", "c-2")
        core.worker.wake()

        async def quick_drafted() -> bool:
            return await draft_count(db) == 1

        await eventually(quick_drafted)
        assert not drafter.release.is_set()  # the slow one is still in hand
        statuses = [row.status for row in await all_rows(db)]
        assert statuses == ["sending", "sent"]
    finally:
        drafter.release.set()
        stop.set()
        await asyncio.wait_for(running, timeout=10)
    assert [row.status for row in await all_rows(db)] == ["sent", "sent"]
    assert await draft_count(db) == 2
