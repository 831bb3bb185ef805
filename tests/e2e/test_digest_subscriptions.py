"""Digest subscriptions by command: `/digest` in the Telegram team group (then the digest
arrives there with its charts) and the console's digests page (form, list, cancel, and a
client who sees only digests of their own stores). Agents and clients are refused, audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from main import RunningApp, start_app
from scheduler.digests import DigestRunner
from scheduler.wiring import target_factory
from storage.digest_runs import Subscription
from storage.orm import audit_events, digest_subscriptions
from tests.e2e import test_telegram as tg
from tests.e2e.test_telegram import member, post_update
from tests.support.config import (
    TELEGRAM_ENV,
    TELEGRAM_TEAM_CHAT,
    TELEGRAM_TEAM_TOKEN,
    add_telegram,
    settings_dict,
)
from tests.support.console_client import ConsoleClient, wait_until

fake = tg.fake


@pytest.fixture
async def tg_app(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    for name, value in TELEGRAM_ENV.items():
        monkeypatch.setenv(name, value)
    raw = add_telegram(
        settings_dict(tmp_path / "data", callback_server.url, database_url=database_url),
        fake.url,
    )
    raw["scheduler"] = {"poll_seconds": 0.2}
    running = await start_app(
        Settings.model_validate(raw),
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    yield running
    await running.stop()


async def say(fake, http, app: RunningApp, who: str, text: str) -> str:
    """A member writes in the team group; returns the bot's answer to that message."""
    update = fake.user_message(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT, member(who), text=text)
    asked = update["message"]["message_id"]
    assert await post_update(http, app, update, team=True) == 200

    def answer() -> dict[str, Any] | None:
        for message in fake.messages(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT):
            if (message.get("reply_to_message") or {}).get("message_id") == asked:
                return message
        return None

    await wait_until(lambda: answer() is not None, within=10)
    found = answer()
    assert found is not None
    return str(found["text"])


async def audited(app: RunningApp, kind: str) -> list[dict[str, Any]]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            select(audit_events.c.actor, audit_events.c.payload).where(audit_events.c.kind == kind)
        )
        return [{"actor": r.actor, **(r.payload or {})} for r in rows]


async def test_a_lead_schedules_the_digest_in_telegram_and_it_arrives_with_photos(
    tg_app, fake, http
) -> None:
    refused = await say(fake, http, tg_app, "ana", "/digest daily 09:00")
    assert refused.startswith("⛔ only a lead or admin of northwind")
    refused = await say(fake, http, tg_app, "chen", "/digest daily 09:00")
    assert refused.startswith("⛔ only a lead or admin of northwind")
    typo = await say(fake, http, tg_app, "sam", "/digest daily 09:00 Mars/Olympus")
    assert "timezone: 'Mars/Olympus' is unknown" in typo
    assert sorted(d["actor"] for d in await audited(tg_app, "denied")) == ["ana", "chen"]

    answer = await say(fake, http, tg_app, "sam", "/digest daily 00:00 Europe/Berlin")
    assert "daily digest of Northwind Apparel will be posted here daily at 00:00" in answer
    assert "(Europe/Berlin)" in answer
    async with tg_app.db.read_sessions() as session:
        (row,) = (await session.execute(select(digest_subscriptions))).all()
    assert (row.target, row.cron, row.timezone, row.store_ids) == (
        f"telegram:{TELEGRAM_TEAM_CHAT}",
        "0 0 * * *",
        "Europe/Berlin",
        ["northwind"],
    )
    (subscribed,) = await audited(tg_app, "digest_subscribed")
    assert subscribed["actor"] == "sam" and subscribed["subscription_id"] == row.id

    # The latest midnight in Berlin has passed: the scheduler delivers yesterday's digest.
    def photos() -> list[dict[str, Any]]:
        return [m for m in fake.messages(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT) if "photo" in m]

    await wait_until(lambda: len(photos()) == 3, within=30)
    digests = [
        c
        for c in fake.calls_of("sendMessage", TELEGRAM_TEAM_TOKEN)
        if c.params.get("parse_mode") == "HTML" and "Daily digest" in c.params["text"]
    ]
    assert len(digests) == 1
    assert digests[0].params["text"].startswith("<b>Daily digest · Northwind Apparel ·")

    listed = await say(fake, http, tg_app, "ana", "/digest list")
    assert f"{row.id}: daily 00:00 Europe/Berlin, stores northwind" in listed
    refused = await say(fake, http, tg_app, "ana", f"/digest cancel {row.id}")
    assert refused.startswith("⛔ only a lead or admin of northwind may cancel")
    cancelled = await say(fake, http, tg_app, "sam", f"/digest cancel {row.id}")
    assert cancelled == f"Cancelled the digest {row.id}."
    assert await say(fake, http, tg_app, "sam", "/digest list") == (
        "No digest is scheduled for this chat."
    )
    (gone,) = await audited(tg_app, "digest_unsubscribed")
    assert gone["actor"] == "sam"


def _console(store: str) -> Subscription:
    return Subscription(
        f"{store}-console", "console", (store,), None, "0 0 * * *", "UTC", "day", "t"
    )


async def test_console_digests_page_shows_a_client_only_their_stores(app) -> None:
    from bot.clock import SystemClock

    runner = DigestRunner(app.db, SystemClock(), target_factory(None, db=app.db), worker_id="t")
    assert await runner.run_due(_console("northwind")) is True
    assert await runner.run_due(_console("dragon")) is True

    async with ConsoleClient(app, "chen") as chen, ConsoleClient(app, "sam") as sam:
        status, mine = await chen.get("/api/digests")
        assert status == 200
        assert [d["store_ids"] for d in mine["digests"]] == [["northwind"]]
        assert mine["can_subscribe"] == []
        status, lead = await sam.get("/api/digests")
        assert sorted(d["store_ids"][0] for d in lead["digests"]) == ["dragon", "northwind"]

        dragon = next(d["key"] for d in lead["digests"] if d["store_ids"] == ["dragon"])
        status, _ = await chen.get(f"/api/digests/{dragon}")
        assert status == 404  # another tenant's digest does not exist for a client
        status, detail = await sam.get(f"/api/digests/{dragon}")
        assert status == 200 and detail["text"].startswith("# Daily digest · Dragon")
        assert [c["filename"] for c in detail["charts"]] == [
            "response-time.png",
            "volume-by-store.png",
            "intent-mix.png",
        ]
        assert detail["charts"][0]["src"].startswith("data:image/png;base64,iVBORw0KGgo")


async def test_console_subscription_form_needs_csrf_and_a_lead(app) -> None:
    form = {"schedule": "weekly mon 08:30 Europe/Berlin", "stores": ["northwind"]}
    async with (
        ConsoleClient(app, "sam") as sam,
        ConsoleClient(app, "chen") as chen,
        ConsoleClient(app, "ana") as ana,
    ):
        status, _ = await sam.post("/api/digest-subscriptions", form, headers={"X-CSRF-Token": ""})
        assert status == 403
        for refused in (chen, ana):
            status, body = await refused.post("/api/digest-subscriptions", form)
            assert status == 403 and "only a lead or admin of northwind" in body["error"]
        status, body = await sam.post("/api/digest-subscriptions", {**form, "stores": ["mars"]})
        assert status == 403  # an unknown store is refused like a foreign one

        status, body = await sam.post("/api/digest-subscriptions", form)
        assert status == 201, body
        sub = body["subscription"]
        assert (sub["cron"], sub["timezone"], sub["store_ids"]) == (
            "30 8 * * mon",
            "Europe/Berlin",
            ["northwind"],
        )
        status, listed = await chen.get("/api/digests")
        assert [s["id"] for s in listed["subscriptions"]] == [sub["id"]]
        status, _ = await chen.post(f"/api/digest-subscriptions/{sub['id']}/cancel")
        assert status == 403
        status, _ = await sam.post(f"/api/digest-subscriptions/{sub['id']}/cancel")
        assert status == 200
        status, listed = await sam.get("/api/digests")
        assert listed["subscriptions"] == []
    denied = await audited(app, "denied")
    assert sorted(d["actor"] for d in denied) == ["ana", "chen", "chen", "sam"]
    assert len(await audited(app, "digest_subscribed")) == 1
    assert len(await audited(app, "digest_unsubscribed")) == 1
