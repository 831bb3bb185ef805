"""Intake over real SQLite: each delivery stored once, attached to the right conversation."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.domain.commands import Escalate, ReceiveCustomerMessage, Resolve
from bot.domain.errors import NotFound
from bot.services.intake import IntakeResult

MARKET = "nw-market"
WEB = "nw-web"


def message(external_id: str, customer: str = "c-1", account: str = MARKET, body: str = "Hi"):
    return ReceiveCustomerMessage(
        channel_account_id=account,
        external_id=external_id,
        customer_external_id=customer,
        customer_name="Jo",
        text=body,
    )


async def scalar(app, sql: str, **params):
    async with app.db.read_sessions() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def test_same_external_id_twice_is_stored_once(app):
    first: IntakeResult = await app.core.bus.handle(message("m-1", body="Where is my order?"))
    second: IntakeResult = await app.core.bus.handle(message("m-1", body="Where is my order?"))

    assert first.duplicate is False
    assert first.message_id and first.conversation_id
    assert second == IntakeResult(duplicate=True)
    assert await scalar(app, "SELECT count(*) FROM messages WHERE external_id = 'm-1'") == 1
    assert await scalar(app, "SELECT count(*) FROM conversations") == 1
    received = "SELECT count(*) FROM audit_events WHERE kind = 'received'"
    assert await scalar(app, received) == 1
    drafts_queued = "SELECT count(*) FROM outbox WHERE topic = 'pipeline.draft'"
    assert await scalar(app, drafts_queued) == 1


async def test_same_external_id_on_another_account_is_a_different_message(app):
    first = await app.core.bus.handle(message("m-1", account=MARKET))
    second = await app.core.bus.handle(message("m-1", account=WEB))
    assert not first.duplicate and not second.duplicate
    assert first.message_id != second.message_id


async def test_concurrent_redeliveries_store_the_message_once(app):
    results = await asyncio.gather(*(app.core.bus.handle(message("m-race")) for _ in range(5)))
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True]
    assert await scalar(app, "SELECT count(*) FROM messages WHERE external_id = 'm-race'") == 1


async def test_messages_from_one_customer_join_one_open_conversation(app):
    first = await app.core.bus.handle(message("m-1", body="Hello"))
    second = await app.core.bus.handle(message("m-2", body="Any news on my order?"))
    other = await app.core.bus.handle(message("m-3", customer="c-2", body="Hi there"))

    assert second.conversation_id == first.conversation_id
    assert other.conversation_id != first.conversation_id
    in_first = "SELECT count(*) FROM messages WHERE conversation_id = :id AND direction = 'in'"
    assert await scalar(app, in_first, id=first.conversation_id) == 2
    assert await scalar(app, "SELECT count(*) FROM customers") == 2


async def test_concurrent_first_messages_of_a_new_customer_open_one_conversation(app):
    results = await asyncio.gather(
        *(app.core.bus.handle(message(f"m-{n}", customer="c-new")) for n in range(5))
    )
    assert len({r.conversation_id for r in results}) == 1
    assert await scalar(app, "SELECT count(*) FROM customers") == 1
    assert await scalar(app, "SELECT count(*) FROM customer_identities") == 1


async def test_after_a_lead_resolves_a_new_message_opens_a_new_conversation(app):
    first = await app.core.bus.handle(message("m-1", body="Where is my parcel?"))
    await app.core.bus.handle(Resolve(first.conversation_id, actor_id="sam"))
    status = "SELECT status FROM conversations WHERE id = :id"
    assert await scalar(app, status, id=first.conversation_id) == "resolved"

    again = await app.core.bus.handle(message("m-2", body="One more question"))

    assert again.conversation_id != first.conversation_id
    assert await scalar(app, status, id=again.conversation_id) == "open"
    assert await scalar(app, status, id=first.conversation_id) == "resolved"
    same_customer = "SELECT count(DISTINCT customer_id) FROM conversations"
    assert await scalar(app, same_customer) == 1


async def test_same_customer_id_on_two_channel_accounts_gives_two_conversations(app):
    market = await app.core.bus.handle(message("m-1", customer="c-1", account=MARKET))
    web = await app.core.bus.handle(message("w-1", customer="c-1", account=WEB))

    assert market.conversation_id != web.conversation_id
    account = "SELECT channel_account_id FROM conversations WHERE id = :id"
    assert await scalar(app, account, id=market.conversation_id) == MARKET
    assert await scalar(app, account, id=web.conversation_id) == WEB


async def test_store_of_the_account_owns_the_conversation(app):
    result = await app.core.bus.handle(message("d-1", account="dragon-web", body="多久发货？"))
    store = "SELECT store_id FROM conversations WHERE id = :id"
    assert await scalar(app, store, id=result.conversation_id) == "dragon"


async def test_unknown_account_is_not_found_and_stores_nothing(app):
    with pytest.raises(NotFound, match="no-such-account"):
        await app.core.bus.handle(message("m-1", account="no-such-account"))
    assert await scalar(app, "SELECT count(*) FROM messages") == 0
    assert await scalar(app, "SELECT count(*) FROM inbound_receipts") == 0


# --- follow-ups in an auto store ------------------------------------------------------------


async def wait_for_idle_outbox(app, within: float = 10.0) -> None:
    """Drafting runs in the app's outbox worker; poll (bounded) until it has caught up."""
    busy = "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
    deadline = asyncio.get_running_loop().time() + within
    while await scalar(app, busy):
        assert asyncio.get_running_loop().time() < deadline, "outbox still busy"
        await asyncio.sleep(0.02)


SENDS = "SELECT count(*) FROM outbox WHERE topic = 'customer.send'"


@pytest.mark.parametrize("app_mode", ["auto"])
async def test_auto_store_answers_a_harmless_known_question_by_itself(app, callback_server):
    result = await app.core.bus.handle(message("m-1", body="How long does shipping take?"))
    await wait_for_idle_outbox(app)
    assert await scalar(app, SENDS) == 1
    assert [call.json["in_reply_to"] for call in callback_server.calls] == ["m-1"]
    status = "SELECT status FROM conversations WHERE id = :id"
    assert await scalar(app, status, id=result.conversation_id) == "waiting"


@pytest.mark.parametrize("app_mode", ["auto"])
async def test_auto_store_never_auto_sends_a_refund_request(app, callback_server):
    result = await app.core.bus.handle(message("m-1", body="I want a refund for my order"))
    await wait_for_idle_outbox(app)
    assert await scalar(app, SENDS) == 0
    status = "SELECT status FROM conversations WHERE id = :id"
    assert await scalar(app, status, id=result.conversation_id) == "review"
    assert callback_server.calls == []


@pytest.mark.parametrize("app_mode", ["auto"])
async def test_auto_store_does_not_auto_answer_a_conversation_under_review(app, callback_server):
    first = await app.core.bus.handle(message("m-1", body="I want a refund for my order"))
    await wait_for_idle_outbox(app)
    status = "SELECT status FROM conversations WHERE id = :id"
    assert await scalar(app, status, id=first.conversation_id) == "review"

    await app.core.bus.handle(message("m-2", body="How long does shipping take?"))
    await wait_for_idle_outbox(app)

    assert await scalar(app, status, id=first.conversation_id) == "review"
    assert await scalar(app, SENDS) == 0
    assert callback_server.calls == []


@pytest.mark.parametrize("app_mode", ["auto"])
async def test_auto_store_does_not_auto_answer_an_escalated_conversation(app, callback_server):
    first = await app.core.bus.handle(message("m-1", body="Tell me a joke about cats"))
    await wait_for_idle_outbox(app)
    assert await scalar(app, SENDS) == 0
    await app.core.bus.handle(Escalate(first.conversation_id, "ana", "angry customer"))
    await app.core.bus.handle(message("m-2", body="How long does shipping take?"))
    await wait_for_idle_outbox(app)

    assert await scalar(app, SENDS) == 0
    assert callback_server.calls == []
