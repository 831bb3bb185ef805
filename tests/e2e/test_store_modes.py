"""Store modes end to end: pilot drafts for leads only, assist's cancellable hold, auto.

A low-risk question the store allows to go out alone ("how long does shipping take?") runs
through the real pipeline in each mode; the fake marketplace records what reached the customer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from bot.domain.commands import ChangeStoreMode, ReceiveCustomerMessage
from main import RunningApp
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.custom_app import start_custom_app, store_of

HOLD_SECONDS = 1.0
QUESTION = "How long does shipping take?"


def modes(mode: str, hold: float):
    def change(config: dict[str, Any]) -> None:
        northwind = store_of(config)
        northwind["mode"] = mode
        northwind["risk"] = {"assist_hold_seconds": hold}

    return change


@pytest.fixture
async def started(tmp_path, database_url, embedder, callback_server):
    apps: list[RunningApp] = []

    async def start(mode: str, hold: float = HOLD_SECONDS) -> RunningApp:
        app = await start_custom_app(
            tmp_path, database_url, embedder, modes(mode, hold), callback_url=callback_server.url
        )
        apps.append(app)
        return app

    yield start
    for app in apps:
        await app.stop()


async def ask(app: RunningApp, n: int = 1) -> str:
    await app.core.bus.handle(
        ReceiveCustomerMessage(
            channel_account_id="nw-market",
            external_id=f"m-{n}",
            customer_external_id=f"c-{n}",
            customer_name="Jo",
            text=QUESTION,
        )
    )
    async with app.db.read_sessions() as session:
        return (
            await session.execute(
                text("SELECT conversation_id FROM messages WHERE external_id = :e"), {"e": f"m-{n}"}
            )
        ).scalar_one()


async def draft_of(app: RunningApp, conversation_id: str) -> dict[str, Any]:
    async with ConsoleClient(app, "sam") as lead:
        return (await lead.wait_for_draft(conversation_id))["draft"]


async def kinds(app: RunningApp, conversation_id: str) -> list[str]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            text("SELECT kind FROM audit_events WHERE conversation_id = :c ORDER BY seq"),
            {"c": conversation_id},
        )
        return [kind for (kind,) in rows]


async def test_pilot_drafts_are_for_leads_and_never_sent_alone(started, callback_server):
    app = await started("pilot")
    conversation_id = await ask(app)
    draft = await draft_of(app, conversation_id)
    assert draft["route"] == "review"
    async with ConsoleClient(app, "ana") as agent:
        status, seen = await agent.get(f"/api/conversations/{conversation_id}")
        assert status == 200 and seen["draft"] is None
        assert "drafted" not in [e["kind"] for e in seen["events"]]
        status, refused = await agent.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 403, refused
    await asyncio.sleep(HOLD_SECONDS + 0.5)
    assert callback_server.calls == []
    async with ConsoleClient(app, "sam") as lead:
        status, _ = await lead.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 200
    await wait_until(lambda: len(callback_server.calls) == 1)


async def test_draft_mode_never_sends_alone(started, callback_server):
    app = await started("draft")
    conversation_id = await ask(app)
    assert (await draft_of(app, conversation_id))["route"] == "draft"
    await asyncio.sleep(HOLD_SECONDS + 0.5)
    assert callback_server.calls == []


async def test_auto_mode_sends_an_allowed_intent_at_once(started, callback_server):
    app = await started("auto")
    conversation_id = await ask(app)
    await wait_until(lambda: len(callback_server.calls) == 1)
    assert "auto_send_held" not in await kinds(app, conversation_id)


async def test_assist_sends_after_the_hold_exactly_once(started, callback_server):
    app = await started("assist")
    conversation_id = await ask(app)
    draft = await draft_of(app, conversation_id)
    assert draft["route"] == "auto"
    assert callback_server.calls == []  # held, not sent yet
    await wait_until(lambda: len(callback_server.calls) == 1, within=HOLD_SECONDS + 10)
    await asyncio.sleep(0.5)
    assert len(callback_server.calls) == 1
    events = await kinds(app, conversation_id)
    assert events.index("auto_send_held") < events.index("reply_queued")


async def test_assist_hold_cancelled_by_an_agent_waits_for_a_person(started, callback_server):
    hold = 4.0  # long enough for the person to act first, even on a busy machine
    app = await started("assist", hold)
    conversation_id = await ask(app)
    draft = await draft_of(app, conversation_id)
    async with ConsoleClient(app, "chen") as client:  # read-only client may not cancel
        status, _ = await client.post(f"/api/drafts/{draft['id']}/cancel-auto-send")
        assert status == 403
    async with ConsoleClient(app, "ana") as agent:
        status, body = await agent.post(f"/api/drafts/{draft['id']}/cancel-auto-send")
        assert status == 200, body
        status, again = await agent.post(f"/api/drafts/{draft['id']}/cancel-auto-send")
        assert status == 409, again
        await asyncio.sleep(hold + 1.0)
        assert callback_server.calls == []
        _status, detail = await agent.get(f"/api/conversations/{conversation_id}")
        assert detail["draft"]["route"] == "draft"
        status, _ = await agent.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 200
    await wait_until(lambda: len(callback_server.calls) == 1)
    assert "auto_send_cancelled" in await kinds(app, conversation_id)


async def test_assist_hold_gives_way_to_a_takeover_and_to_a_mode_change(started, callback_server):
    hold = 4.0  # long enough for the person to act first, even on a busy machine
    app = await started("assist", hold)
    taken = await ask(app, 1)
    switched = await ask(app, 2)
    await draft_of(app, taken)
    await draft_of(app, switched)
    async with ConsoleClient(app, "ana") as agent:
        status, _ = await agent.post(f"/api/conversations/{taken}/takeover")
        assert status == 200
    await app.core.bus.handle(ChangeStoreMode("northwind", "sam", "draft"))
    await asyncio.sleep(hold + 1.0)
    assert callback_server.calls == []
