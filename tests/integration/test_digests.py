"""Digests end to end: report, charts, delivery to a spec-checked fake Slack, run keys."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspaces.slack.digest_target import DIGEST_EVENT, SlackDigestTarget
from scheduler.charts import CHART_HEIGHT, CHART_WIDTH
from scheduler.digests import DigestRunner
from scheduler.leader import SingleInstance
from scheduler.service import DigestScheduler
from scheduler.wiring import target_factory
from storage import digest_runs
from storage.database import Database
from storage.digest_runs import Subscription
from tests.support.digest_db import FixedClock, history_database
from tests.support.fake_slack import FakeSlack
from tests.support.history import busy_day

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "digests"
DAY = datetime(2026, 11, 22, tzinfo=UTC)
MORNING_AFTER = datetime(2026, 11, 23, 9, 0, 5, tzinfo=UTC)
CHANNEL = "CDIGEST"
STORES = [
    {"id": "nw", "name": "Northwind", "timezone": "UTC", "client_id": "acme"},
    {"id": "nw2", "name": "Northwind Outlet", "timezone": "UTC", "client_id": "acme"},
    {"id": "dr", "name": "Dragon", "timezone": "Asia/Shanghai", "client_id": None},
]


def subscription(target: str = f"slack:{CHANNEL}", **changes: object) -> Subscription:
    fields: dict[str, object] = {
        "id": "daily-nw",
        "target": target,
        "store_ids": ("nw",),
        "client_id": None,
        "cron": "0 9 * * *",
        "timezone": "UTC",
        "cadence": "day",
        "created_by": "test",
    }
    fields.update(changes)
    return Subscription(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    history = busy_day(DAY)
    history.records.extend(busy_day(DAY, store="nw2").records[:14])  # two more conversations
    history.records.extend(busy_day(DAY, store="dr").records)  # another client's store
    # Opened and answered the evening before, resolved on the day: 4 hours to resolve.
    history.customer_message(DAY - timedelta(hours=2), "nw", "nw-H", new=True)
    history.reply(DAY - timedelta(hours=1), "nw", "nw-H", "ana")
    history.event(DAY + timedelta(hours=2), "resolved", "nw", "nw-H", actor="ana")
    database = await history_database(database_url, STORES, history.records)
    yield database
    await database.dispose()


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, AsyncWebClient]]:
    async with FakeSlack() as fake:
        yield fake, AsyncWebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])


def slack_runner(db: Database, client: AsyncWebClient, clock: FixedClock, **kw) -> DigestRunner:
    targets = target_factory(lambda channel: SlackDigestTarget(client, channel))
    return DigestRunner(db, clock, targets, worker_id=kw.pop("worker_id", "w1"), **kw)


def assert_png(data: bytes, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (CHART_WIDTH, CHART_HEIGHT)
        assert len(image.getcolors(maxcolors=1_000_000) or []) > 10  # something is drawn


async def test_daily_digest_reaches_slack_with_its_charts_and_only_once(db, slack) -> None:
    fake, client = slack
    runner = slack_runner(db, client, FixedClock(MORNING_AFTER))
    assert await runner.run_due(subscription()) is True

    parent, files_reply = fake.messages(CHANNEL)
    assert parent["metadata"] == {
        "event_type": DIGEST_EVENT,
        "event_payload": {"key": "daily-nw:2026-11-22"},
    }
    assert "*Daily digest · Northwind · 2026-11-22*" in parent["text"]
    assert "Conversations: *4*" in parent["text"]
    assert "First response: median *10m*, p90 30m" in parent["text"]
    assert "SLA breaches *1*" in parent["text"]
    assert files_reply["thread_ts"] == parent["ts"]
    names = [f["name"] for f in files_reply["files"]]
    assert names == ["response-time.png", "volume-by-store.png", "intent-mix.png"]
    assert len(fake.calls_to("files.getUploadURLExternal")) == 3
    assert len(fake.calls_to("files.completeUploadExternal")) == 1
    for file in files_reply["files"]:
        assert_png(fake.uploads[file["id"]], f"slack-{db.dialect}-{file['name']}")
    fake.assert_all_calls_valid()

    calls = len(fake.calls)
    assert await runner.run_due(subscription()) is False  # same key: nothing happens
    assert len(fake.calls) == calls
    async with db.read_sessions() as session:
        run = await digest_runs.run_status(session, "daily-nw:2026-11-22")
    assert run is not None and run["status"] == "delivered" and run["attempts"] == 1


async def test_a_run_killed_mid_delivery_is_completed_once_after_restart(db, slack) -> None:
    fake, client = slack
    clock = FixedClock(MORNING_AFTER)
    fake.hang_once("files.getUploadURLExternal", seconds=30)
    first = slack_runner(db, client, clock, lease_seconds=60)
    crashed = asyncio.create_task(first.run_due(subscription()))
    for _ in range(200):  # bounded: until the summary is posted and the upload hangs
        if fake.messages(CHANNEL) and fake.calls_to("chat.postMessage"):
            break
        await asyncio.sleep(0.025)
    await asyncio.sleep(0.1)
    crashed.cancel()  # the process dies here: claim held, summary posted, no charts
    with pytest.raises(asyncio.CancelledError):
        await crashed

    restarted = slack_runner(db, client, clock, worker_id="w2", lease_seconds=60)
    assert await restarted.run_due(subscription()) is False  # the lease still stands
    clock.current += timedelta(seconds=61)
    assert await restarted.run_due(subscription()) is True
    assert await restarted.run_due(subscription()) is False

    messages = fake.messages(CHANNEL)
    assert len(messages) == 2  # one summary, one set of charts in its thread
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert [len(m.get("files", [])) for m in messages] == [0, 3]
    fake.assert_all_calls_valid()


async def test_client_digest_covers_only_the_client_s_stores(db, tmp_path) -> None:
    runner = DigestRunner(db, FixedClock(MORNING_AFTER), target_factory(None), worker_id="w1")
    sub = subscription(f"file:{tmp_path}", id="acme", store_ids=(), client_id="acme")
    assert await runner.run_due(sub) is True
    folder = tmp_path / "acme_2026-11-22"
    text = (folder / "digest.md").read_text(encoding="utf-8")
    assert "## By store" in text
    assert "- Northwind: 4 conversations" in text
    assert "- Northwind Outlet: 2 conversations" in text
    assert "Dragon" not in text
    for name in ("response-time.png", "volume-by-store.png", "intent-mix.png"):
        assert_png((folder / name).read_bytes(), f"client-{db.dialect}-{name}")


async def test_scheduler_catches_up_a_missed_digest_once_and_a_restart_repeats_nothing(
    db, tmp_path
) -> None:
    # Down over two 09:00 fires (the 23rd and 24th): only the latest period is caught up.
    clock = FixedClock(datetime(2026, 11, 25, 10, tzinfo=UTC))
    out = tmp_path / "out"
    sub = subscription(f"file:{out}")

    async def one_life() -> None:
        runner = DigestRunner(db, clock, target_factory(None), worker_id="w")
        scheduler = DigestScheduler(runner, SingleInstance(), _listing(sub), poll_seconds=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        await asyncio.sleep(0.5)
        assert scheduler.is_leader
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    await one_life()
    await one_life()  # a restart
    assert sorted(p.name for p in out.iterdir()) == ["daily-nw_2026-11-24"]
    async with db.read_sessions() as session:
        run = await digest_runs.run_status(session, "daily-nw:2026-11-24")
    assert run is not None and (run["status"], run["attempts"]) == ("delivered", 1)


def _listing(*subscriptions: Subscription):
    async def listing() -> list[Subscription]:
        return list(subscriptions)

    return listing


async def test_the_query_loads_the_earlier_history_of_the_period_s_conversations(db) -> None:
    from bot.services.metrics import derive_facts, in_period, summarize
    from bot.services.periods import period_of
    from storage.metrics_queries import audit_records, message_texts, store_infos

    async with db.read_sessions() as session:
        day = period_of(DAY.date(), "day", "UTC")
        records = await audit_records(session, ["nw"], day.start, day.end)
        infos = await store_infos(session)
        assert await message_texts(session, ["missing"]) == {}
    assert {r.store_id for r in records} == {"nw"}
    assert min(r.at for r in records) == DAY - timedelta(hours=2)  # nw-H's start
    facts = derive_facts(records, infos)
    metrics = summarize(in_period(facts, day.start, day.end))
    assert metrics.conversations == 4  # nw-H opened the day before
    assert metrics.resolution.median == (3600 + 4 * 3600) / 2  # A: 1 h, nw-H: 4 h
    assert infos["dr"].timezone == "Asia/Shanghai" and infos["nw"].client_id == "acme"
