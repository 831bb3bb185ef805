"""The review queue, review pass rates and the rollout review, through the console API."""

from __future__ import annotations

import asyncio

import pytest

from bot import cli_rollout
from bot.domain.commands import ReceiveCustomerMessage
from main import RunningApp, _parser
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.custom_app import start_custom_app, store_of

QUESTIONS = [
    ("nw-market", "How long does shipping take?"),
    ("nw-market", "I want a refund for my broken lamp"),
    ("nw-market", "Which payment methods do you accept?"),
    ("dragon-web", "多久发货？"),
]


async def ask_all(app: RunningApp) -> None:
    for n, (account, text) in enumerate(QUESTIONS):
        await app.core.bus.handle(
            ReceiveCustomerMessage(
                channel_account_id=account,
                external_id=f"m-{n}",
                customer_external_id=f"c-{n}",
                customer_name=f"Customer {n}",
                text=text,
            )
        )
        await asyncio.sleep(0.01)  # distinct arrival times: the queue order is checkable


async def queue_of(console: ConsoleClient) -> list[dict]:
    status, body = await console.get("/api/review-queue")
    assert status == 200, body
    return body["items"]


async def full_queue(console: ConsoleClient, size: int) -> list[dict]:
    found: list[dict] = []

    async def filled() -> bool:
        found[:] = await queue_of(console)
        return len(found) == size

    await wait_until(filled, within=20)
    return found


async def test_lead_sees_every_pending_draft_oldest_first_and_others_see_none(app):
    await ask_all(app)
    async with ConsoleClient(app, "sam") as lead:
        items = await full_queue(lead, len(QUESTIONS))
    assert [i["customer_name"] for i in items] == [f"Customer {n}" for n in range(4)]
    assert {i["store_id"] for i in items} == {"northwind", "dragon"}
    assert all(i["age_seconds"] >= 0 for i in items)
    assert items[0]["age_seconds"] >= items[-1]["age_seconds"]
    assert [i["route"] for i in items][1] == "review"
    for member in ("ana", "chen", "li"):
        async with ConsoleClient(app, member) as someone:
            status, body = await someone.get("/api/review-queue")
            assert status == 200 and body == {"stores": [], "items": []}


async def test_decisions_from_the_queue_feed_the_pass_rates(app, callback_server):
    await ask_all(app)
    async with ConsoleClient(app, "sam") as lead:
        items = await full_queue(lead, len(QUESTIONS))
        shipping, refund, payment, dragon = items
        async with ConsoleClient(app, "ana") as agent:
            status, refused = await agent.post(
                f"/api/drafts/{refund['draft_id']}/reject", {"reason": "wrong"}
            )
            assert status == 403, refused
        status, bad = await lead.post(f"/api/drafts/{refund['draft_id']}/reject", {"reason": ""})
        assert status == 400, bad
        status, _ = await lead.post(f"/api/drafts/{shipping['draft_id']}/approve")
        assert status == 200
        status, _ = await lead.post(
            f"/api/drafts/{payment['draft_id']}/edit", {"text": "Visa, Mastercard and PayPal."}
        )
        assert status == 200
        status, _ = await lead.post(
            f"/api/drafts/{refund['draft_id']}/reject", {"reason": "refunds need the order"}
        )
        assert status == 200
        remaining = await queue_of(lead)
        assert [i["draft_id"] for i in remaining] == [dragon["draft_id"]]
        status, rates = await lead.get("/api/review-pass-rates?days=7")
        assert status == 200, rates
        assert rates["overall"] == {
            "reviewed": 3,
            "approved": 1,
            "edited": 1,
            "rejected": 1,
            "pass_rate": pytest.approx(1 / 3),
        }
        assert rates["by_agent"]["sam"]["reviewed"] == 3
        assert rates["by_store"]["northwind"]["pass_rate"] == pytest.approx(1 / 3)
        assert rates["by_store"]["dragon"]["reviewed"] == 0
        assert rates["by_intent"]["shipping"]["approved"] == 1
        status, bad = await lead.get("/api/review-pass-rates?days=0")
        assert status == 400
        status, detail = await lead.get(f"/api/conversations/{refund['conversation_id']}")
        assert detail["draft"] is None and detail["conversation"]["status"] == "open"
    await wait_until(lambda: len(callback_server.calls) == 2)


async def test_rollout_review_lists_frequent_and_high_risk_questions(app, capsys):
    await ask_all(app)
    async with ConsoleClient(app, "sam") as lead:
        await full_queue(lead, len(QUESTIONS))
        status, review = await lead.get("/api/stores/northwind/rollout")
        assert status == 200, review
    assert review["questions"] == 3
    assert sum(item["count"] for item in review["frequent"]) == 3
    (risky,) = review["high_risk"]
    assert "refund" in risky["example"] and "refund" in risky["intents"]
    async with ConsoleClient(app, "ana") as agent:
        status, _ = await agent.get("/api/stores/northwind/rollout")
        assert status == 404

    args = _parser().parse_args(["rollout", "--store", "northwind", "--days", "7"])
    assert await cli_rollout.run(args, app.settings) == 0
    printed = capsys.readouterr().out
    assert "3 questions in 7 days" in printed
    assert "High risk (1)" in printed and "refund" in printed
    bad = _parser().parse_args(["rollout", "--store", "nowhere"])
    assert await cli_rollout.run(bad, app.settings) == 2


def with_sla(config: dict) -> None:
    store_of(config, "northwind")["sla"] = {
        "first_response_seconds": 3600,
        "next_response_seconds": 7200,
        "reminder_seconds": 600,
    }


async def test_queue_items_carry_the_stores_sla_clock(tmp_path, database_url, embedder):
    app = await start_custom_app(tmp_path, database_url, embedder, with_sla)
    try:
        await ask_all(app)
        async with ConsoleClient(app, "sam") as lead:
            items = await full_queue(lead, len(QUESTIONS))
    finally:
        await app.stop()
    by_store = {i["store_id"]: i for i in items}
    northwind = by_store["northwind"]["sla"]
    assert northwind["clock"] == "first_response" and northwind["stage"] == "ok"
    assert northwind["target_seconds"] == 3600 and 0 <= northwind["age_seconds"] < 600
    assert by_store["dragon"]["sla"] is None  # no [stores.sla]: no clock
