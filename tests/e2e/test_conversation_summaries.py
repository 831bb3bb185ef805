"""Long conversations and handovers get a summary in the console's thread header."""

from __future__ import annotations

from sqlalchemy import select

from storage.orm import audit_events
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.webhook_client import post_webhook, webhook_body

MESSAGES = [
    "Hello, where is my order #1042? I ordered it two weeks ago.",
    "The tracking page for order #1042 has not changed since Monday.",
    "I need the parcel before my trip on Friday, it is a birthday present.",
    "Can you tell me when order #1042 will arrive?",
]


async def _detail(lead: ConsoleClient, conversation_id: str) -> dict:
    return (await lead.get(f"/api/conversations/{conversation_id}"))[1]


async def _summaries(app, conversation_id: str) -> list[dict]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            select(audit_events.c.payload).where(
                audit_events.c.conversation_id == conversation_id,
                audit_events.c.kind == "summarized",
            )
        )
        return [row.payload for row in rows]


async def test_the_header_shows_a_summary_once_the_customer_passed_the_threshold(app, http):
    async with ConsoleClient(app, "sam") as lead:
        for number, text in enumerate(MESSAGES[:3]):
            await post_webhook(http, app.base_url, webhook_body(f"sum-{number}", text))
        listing = (await lead.get("/api/stores/northwind/conversations"))[1]["conversations"]
        conversation_id = listing[0]["id"]
        # Below the threshold (4 customer messages): no summary yet.
        assert (await _detail(lead, conversation_id))["conversation"]["summary"] is None

        await post_webhook(http, app.base_url, webhook_body("sum-3", MESSAGES[3]))

        async def summarized() -> bool:
            return bool((await _detail(lead, conversation_id))["conversation"]["summary"])

        await wait_until(summarized, within=20)
        summary = (await _detail(lead, conversation_id))["conversation"]["summary"]
        assert "4 messages" in summary
        assert "#1042" in summary
        assert "when order #1042 will arrive" in summary  # the latest message leads a handover
        assert len(summary) <= 400
        events = await _summaries(app, conversation_id)
        assert events and events[-1]["reason"] == "long"
        assert events[-1]["source"] == "local" and events[-1]["customer_messages"] == 4

        status, _ = await lead.post(f"/api/conversations/{conversation_id}/takeover", {})
        assert status == 200

        async def handed_over() -> bool:
            return any(e["reason"] == "handover" for e in await _summaries(app, conversation_id))

        await wait_until(handed_over, within=20)


async def test_an_escalated_short_conversation_gets_a_handover_summary(app, http):
    await post_webhook(
        http, app.base_url, webhook_body("esc-1", "我的订单 #2088 还没到，怎么回事？", "c-9")
    )
    async with ConsoleClient(app, "sam") as lead:
        listing = (await lead.get("/api/stores/northwind/conversations"))[1]["conversations"]
        conversation_id = listing[0]["id"]
        status, _ = await lead.post(
            f"/api/conversations/{conversation_id}/escalate", {"reason": "VIP customer"}
        )
        assert status == 200

        async def summarized() -> bool:
            return bool((await _detail(lead, conversation_id))["conversation"]["summary"])

        await wait_until(summarized, within=20)
        summary = (await _detail(lead, conversation_id))["conversation"]["summary"]
    assert summary.startswith("客户共 1 条消息")
    assert "#2088" in summary
    [event] = await _summaries(app, conversation_id)
    assert event["reason"] == "handover" and event["language"] == "zh"
