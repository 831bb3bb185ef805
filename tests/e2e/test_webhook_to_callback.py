"""The core loop over real HTTP: signed webhook in, draft in the console, approved reply out."""

from __future__ import annotations

import asyncio
import json

from connectors.webhook.signature import verify
from tests.support.config import WEBHOOK_SECRET
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.webhook_client import post_webhook, webhook_body


async def _conversation_id(console: ConsoleClient, store: str = "northwind") -> str:
    status, listing = await console.get(f"/api/stores/{store}/conversations")
    assert status == 200
    assert len(listing["conversations"]) == 1
    return listing["conversations"][0]["id"]


async def test_signed_webhook_is_drafted_approved_and_delivered_exactly_once(
    app, http, callback_server
):
    body = webhook_body("m-1", "How long does shipping take to Germany?")
    status, reply = await post_webhook(http, app.base_url, body)
    assert status == 202, reply

    async with ConsoleClient(app, "sam") as lead:
        conversation_id = await _conversation_id(lead)
        detail = await lead.wait_for_draft(conversation_id)
        draft = detail["draft"]
        assert draft["confident"] is True
        assert draft["route"] == "draft"
        assert "2-4 business days" in draft["text"]
        assert draft["text"].startswith("Hi Jo,")
        assert draft["citations"][0]["article_id"] == "northwind/faq/shipping-time"

        status, result = await lead.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 200, result
        await wait_until(lambda: len(callback_server.calls) >= 1)
        # A second approve of the same draft is refused: the reply goes out once.
        status, again = await lead.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 409, again

    await asyncio.sleep(0.3)  # give a wrongly repeated delivery the chance to show up
    assert len(callback_server.calls) == 1
    call = callback_server.calls[0]
    assert call.path == "/replies"
    verify(
        WEBHOOK_SECRET,
        call.headers["X-Storedesk-Timestamp"],
        call.headers["X-Storedesk-Signature"],
        call.body,
        now=float(call.headers["X-Storedesk-Timestamp"]),
    )
    assert call.headers["Idempotency-Key"] == f"send:{draft['id']}"
    sent = call.json
    assert sent["customer"] == {"id": "c-1"}
    assert sent["in_reply_to"] == "m-1"
    assert sent["text"] == draft["text"]

    async with ConsoleClient(app, "ana") as agent:
        detail = (await agent.get(f"/api/conversations/{conversation_id}"))[1]
    kinds = [event["kind"] for event in detail["events"]]
    for expected in ("received", "triaged", "drafted", "reviewed", "reply_queued", "sent"):
        assert expected in kinds, kinds
    reviewed = next(e for e in detail["events"] if e["kind"] == "reviewed")
    assert reviewed["actor"] == "sam"
    assert reviewed["payload"]["citations"][0]["article_id"] == "northwind/faq/shipping-time"
    outbound = [m for m in detail["messages"] if m["direction"] == "out"]
    assert [m["delivery_status"] for m in outbound] == ["sent"]


async def test_redelivered_webhook_creates_nothing(app, http):
    body = webhook_body("m-dup", "Which payment methods do you accept?")
    first = await post_webhook(http, app.base_url, body)
    second = await post_webhook(http, app.base_url, body)
    assert first[0] == 202
    assert second == (200, {"status": "duplicate"})
    async with ConsoleClient(app, "ana") as agent:
        conversation_id = await _conversation_id(agent)
        detail = await agent.wait_for_draft(conversation_id)
    assert [m["direction"] for m in detail["messages"]] == ["in"]
    assert sum(e["kind"] == "received" for e in detail["events"]) == 1


async def test_client_member_cannot_approve_and_the_refusal_is_audited(app, http, callback_server):
    await post_webhook(http, app.base_url, webhook_body("m-c", "How do I return an item?"))
    async with ConsoleClient(app, "chen") as client:
        conversation_id = await _conversation_id(client)
        detail = await client.wait_for_draft(conversation_id)
        assert detail["permissions"]["send_reply"] is False
        status, refused = await client.post(f"/api/drafts/{detail['draft']['id']}/approve")
        assert status == 403
        assert "client" in refused["error"]
        detail = (await client.get(f"/api/conversations/{conversation_id}"))[1]
    denied = [e for e in detail["events"] if e["kind"] == "denied"]
    assert len(denied) == 1
    assert denied[0]["actor"] == "chen"
    assert detail["draft"] is not None  # still pending, untouched
    await asyncio.sleep(0.2)
    assert callback_server.calls == []


async def test_refund_request_needs_a_lead_and_is_never_auto_sent(app, http, callback_server):
    await post_webhook(
        http, app.base_url, webhook_body("m-r", "I want a refund, how do I return it?")
    )
    async with ConsoleClient(app, "ana") as agent, ConsoleClient(app, "sam") as lead:
        conversation_id = await _conversation_id(agent)
        detail = await agent.wait_for_draft(conversation_id)
        assert detail["draft"]["route"] == "review"
        assert "refund" in detail["draft"]["risk_reasons"]
        assert detail["conversation"]["status"] == "review"
        assert detail["permissions"]["send_reply"] is False
        status, _ = await agent.post(f"/api/drafts/{detail['draft']['id']}/approve")
        assert status == 403
        status, _ = await agent.post(
            f"/api/conversations/{conversation_id}/reply", {"text": "Sure, refunded!"}
        )
        assert status == 403
        status, result = await lead.post(f"/api/drafts/{detail['draft']['id']}/approve")
        assert status == 200, result
    await wait_until(lambda: len(callback_server.calls) == 1)


async def test_message_with_no_knowledge_match_gets_no_draft_text(app, http):
    await post_webhook(http, app.base_url, webhook_body("m-x", "Tell me a joke about cats"))
    async with ConsoleClient(app, "ana") as agent:
        conversation_id = await _conversation_id(agent)
        detail = await agent.wait_for_draft(conversation_id)
        assert detail["draft"]["confident"] is False
        assert detail["draft"]["text"] == ""
        assert "no knowledge article" in detail["draft"]["note"]
        status, _ = await agent.post(f"/api/drafts/{detail['draft']['id']}/approve")
        assert status == 409


async def test_failed_callback_is_retried_with_the_same_idempotency_key(app, http, callback_server):
    callback_server.fail_next = 2
    await post_webhook(
        http, app.base_url, webhook_body("m-f", "Which payment methods do you accept?")
    )
    async with ConsoleClient(app, "ana") as agent:
        conversation_id = await _conversation_id(agent)
        detail = await agent.wait_for_draft(conversation_id)
        await agent.post(f"/api/drafts/{detail['draft']['id']}/approve")
    await wait_until(lambda: len(callback_server.calls) == 1)
    assert callback_server.fail_next == 0
    assert json.loads(callback_server.calls[0].body)["message_id"]
