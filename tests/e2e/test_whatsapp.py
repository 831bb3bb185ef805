"""WhatsApp Cloud API end to end: Meta's handshake, signed deliveries in, Graph API replies out,
and the 24-hour customer-service window respected."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from main import RunningApp
from storage.orm import messages
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.custom_app import start_custom_app, store_of
from tests.support.fake_graph import TOKEN, FakeGraph
from tests.support.whatsapp_client import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    post_whatsapp,
    whatsapp_body,
)

DAY = 24 * 3600


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def template() -> str | None:
    return None


@pytest.fixture
async def wa_app(
    tmp_path, database_url, embedder, graph, template, monkeypatch
) -> AsyncIterator[RunningApp]:
    monkeypatch.setenv("TEST_WA_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_WA_VERIFY", VERIFY_TOKEN)

    def with_whatsapp(config: dict[str, Any]) -> None:
        whatsapp = {
            "phone_number_id": PHONE_NUMBER_ID,
            "access_token_env": "TEST_WA_TOKEN",
            "verify_token_env": "TEST_WA_VERIFY",
            "api_url": graph.api_url,
        }
        if template:
            whatsapp["template"] = template
        store_of(config)["channels"].append(
            {"id": "nw-whatsapp", "kind": "whatsapp", "secret": APP_SECRET, "whatsapp": whatsapp}
        )

    app = await start_custom_app(tmp_path, database_url, embedder, with_whatsapp)
    yield app
    await app.stop()


async def _conversations(app: RunningApp) -> list[dict[str, Any]]:
    async with ConsoleClient(app, "ana") as agent:
        status, listing = await agent.get("/api/stores/northwind/conversations")
    assert status == 200
    return listing["conversations"]


async def _approve_first_draft(app: RunningApp) -> tuple[str, dict[str, Any]]:
    async with ConsoleClient(app, "ana") as agent:
        conversation_id = (await _conversations(app))[0]["id"]
        detail = await agent.wait_for_draft(conversation_id)
        status, result = await agent.post(f"/api/drafts/{detail['draft']['id']}/approve")
        assert status == 200, result
    return conversation_id, detail["draft"]


async def _detail(app: RunningApp, conversation_id: str) -> dict[str, Any]:
    async with ConsoleClient(app, "ana") as agent:
        return (await agent.get(f"/api/conversations/{conversation_id}"))[1]


async def test_meta_verification_handshake(wa_app, http):
    url = f"{wa_app.base_url}/whatsapp/nw-whatsapp"
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    async with http.get(url, params=good) as response:
        assert (response.status, await response.text()) == (200, "1158201444")
    for bad in ({**good, "hub.verify_token": "guess"}, {**good, "hub.mode": "unsubscribe"}):
        async with http.get(url, params=bad) as response:
            assert response.status == 403
    async with http.get(f"{wa_app.base_url}/whatsapp/nobody", params=good) as response:
        assert response.status == 404


async def test_whatsapp_message_is_drafted_approved_and_answered_in_the_same_chat(
    wa_app, http, graph
):
    body = whatsapp_body(
        "wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFjNFQjA", "How long does shipping take?"
    )
    assert await post_whatsapp(http, wa_app.base_url, body) == (
        200,
        {"accepted": 1, "duplicates": 0},
    )
    conversation_id, draft = await _approve_first_draft(wa_app)
    assert draft["text"].startswith("Hi Jo,") and "2-4 business days" in draft["text"]
    await wait_until(lambda: len(graph.sent) == 1)
    sent = graph.sent[0]
    assert sent["phone_number_id"] == PHONE_NUMBER_ID
    assert sent["to"] == "4915112345678"
    assert sent["type"] == "text" and sent["text"]["body"] == draft["text"]
    assert sent["context"] == {"message_id": "wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFjNFQjA"}
    await asyncio.sleep(0.2)
    assert len(graph.sent) == 1
    detail = await _detail(wa_app, conversation_id)
    assert [m["delivery_status"] for m in detail["messages"] if m["direction"] == "out"] == ["sent"]


async def test_forged_replayed_and_malformed_deliveries_store_nothing(wa_app, http):
    body = whatsapp_body("wamid.ONE", "Which payment methods do you accept?")
    assert (await post_whatsapp(http, wa_app.base_url, body, signature="sha256=00"))[0] == 401
    assert (await post_whatsapp(http, wa_app.base_url, body, signature=""))[0] == 401
    tampered = body.replace(b"payment", b"PAYMENT")
    from connectors.whatsapp.signature import sign

    assert (await post_whatsapp(http, wa_app.base_url, tampered, signature=sign(APP_SECRET, body)))[
        0
    ] == 401
    for malformed in (
        b"{not json",
        b'{"object": "page", "entry": []}',
        whatsapp_body("wamid.TWO", text=None),
        whatsapp_body("wamid.TWO", "hi").replace(b'"timestamp"', b'"when"'),
    ):
        status, answer = await post_whatsapp(http, wa_app.base_url, malformed)
        assert status == 400, (malformed, answer)
    assert await _conversations(wa_app) == []

    assert (await post_whatsapp(http, wa_app.base_url, body))[1] == {"accepted": 1, "duplicates": 0}
    assert (await post_whatsapp(http, wa_app.base_url, body))[1] == {"accepted": 0, "duplicates": 1}
    conversations = await _conversations(wa_app)
    assert len(conversations) == 1
    detail = await _detail(wa_app, conversations[0]["id"])
    assert [m["direction"] for m in detail["messages"]] == ["in"]


async def test_image_with_caption_arrives_with_its_attachment(wa_app, http, graph):
    media = {
        "type": "image",
        "object": {"caption": "Arrived broken", "mime_type": "image/jpeg", "id": "1234567890"},
    }
    await post_whatsapp(http, wa_app.base_url, whatsapp_body("wamid.IMG", media=media))
    conversation_id = (await _conversations(wa_app))[0]["id"]
    assert (await _detail(wa_app, conversation_id))["messages"][0]["text"] == "Arrived broken"
    async with wa_app.db.read_sessions() as session:
        kept = await session.scalar(
            select(messages.c.attachments).where(messages.c.conversation_id == conversation_id)
        )
    assert kept == [
        {
            "url": f"{graph.api_url}/1234567890",
            "name": "image-1234567890",
            "content_type": "image/jpeg",
        }
    ]


async def test_outside_the_24_hour_window_nothing_is_sent_and_the_thread_says_why(
    wa_app, http, graph
):
    old = int(time.time()) - DAY - 60
    body = whatsapp_body("wamid.OLD", "How long does shipping take?", at=old)
    await post_whatsapp(http, wa_app.base_url, body)
    conversation_id, _draft = await _approve_first_draft(wa_app)

    async def failed() -> bool:
        detail = await _detail(wa_app, conversation_id)
        return any(e["kind"] == "delivery_failed" for e in detail["events"])

    await wait_until(failed)
    detail = await _detail(wa_app, conversation_id)
    failure = next(e for e in detail["events"] if e["kind"] == "delivery_failed")
    assert "more than 24 hours ago" in failure["payload"]["error"]
    assert [m["delivery_status"] for m in detail["messages"] if m["direction"] == "out"] == [
        "failed"
    ]
    assert graph.sent == []


@pytest.mark.parametrize("template", ["order_update"])
async def test_outside_the_window_a_configured_template_carries_the_reply(wa_app, http, graph):
    old = int(time.time()) - 2 * DAY
    await post_whatsapp(
        http, wa_app.base_url, whatsapp_body("wamid.OLD2", "How long does shipping take?", at=old)
    )
    _conversation_id, draft = await _approve_first_draft(wa_app)
    await wait_until(lambda: len(graph.sent) == 1)
    template = graph.sent[0]["template"]
    assert graph.sent[0]["type"] == "template"
    assert template["name"] == "order_update"
    assert template["language"] == {"code": "en_US"}
    assert template["components"][0]["parameters"] == [{"type": "text", "text": draft["text"]}]
