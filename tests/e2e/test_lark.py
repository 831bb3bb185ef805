"""Lark / Feishu end to end: the app talks to a fake Open Platform on 127.0.0.1 over real HTTP,
and events and card callbacks arrive at `/lark/events` encrypted and signed with real crypto.
Every call Storedesk makes is checked against the documented request shapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, text

from main import RunningApp
from storage.orm import audit_events, inbound_receipts, lark_chats, messages
from tests.support.console_client import wait_until
from tests.support.custom_app import start_custom_app
from tests.support.fake_lark import (
    LARK_ENV,
    NORTHWIND_CHAT,
    OPEN_IDS,
    FakeLark,
    FakeMessage,
    add_lark,
    buttons,
    card_press,
    envelope,
    signed_request,
)
from tests.support.webhook_client import post_webhook, webhook_body

SHIPPING = "How long does shipping take?"
SEND = "POST /open-apis/im/v1/messages"
REPLY = "POST /open-apis/im/v1/messages/:message_id/reply"
PATCH = "PATCH /open-apis/im/v1/messages/:message_id"


@pytest.fixture
async def fake() -> AsyncIterator[FakeLark]:
    async with FakeLark() as server:
        yield server
        server.assert_all_calls_valid()


@pytest.fixture
def lark_env(monkeypatch) -> None:
    for name, value in LARK_ENV.items():
        monkeypatch.setenv(name, value)


async def start(tmp_path, database_url, embedder, fake: FakeLark, callback_url: str) -> RunningApp:
    return await start_custom_app(
        tmp_path, database_url, embedder, lambda raw: add_lark(raw, fake.url), callback_url
    )


@pytest.fixture
async def lark_app(
    tmp_path, database_url, embedder, fake, callback_server, lark_env
) -> AsyncIterator[RunningApp]:
    running = await start(tmp_path, database_url, embedder, fake, callback_server.url)
    yield running
    await running.stop()


async def deliver(
    http: aiohttp.ClientSession, app: RunningApp, payload: dict[str, Any], **signing: Any
) -> tuple[int, Any]:
    body, headers = signed_request(payload, **signing)
    async with http.post(f"{app.base_url}/lark/events", data=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def press(
    http, app, fake: FakeLark, card: FakeMessage, press_name: str, who: str = "sam", **form: str
) -> dict[str, Any]:
    value = buttons(card.content)[press_name]
    event = card_press(OPEN_IDS.get(who, who), card, value, form or None)
    status, answer = await deliver(http, app, envelope("card.action.trigger", event))
    assert status == 200, answer
    return answer


async def member_says(http, app, fake: FakeLark, who: str, root: FakeMessage, said: str) -> None:
    event = fake.member_message(root.chat_id, OPEN_IDS[who], said, root_id=root.message_id)
    status, _ = await deliver(http, app, envelope("im.message.receive_v1", event))
    assert status == 200


def draft_card(fake: FakeLark, chat: str = NORTHWIND_CHAT) -> FakeMessage | None:
    return next(
        (m for m in fake.in_chat(chat) if m.msg_type == "interactive" and "Draft" in m.text), None
    )


async def wait_for_card(fake: FakeLark, chat: str = NORTHWIND_CHAT) -> FakeMessage:
    await wait_until(lambda: (c := draft_card(fake, chat)) is not None and buttons(c.content))
    found = draft_card(fake, chat)
    assert found is not None
    return found


async def wait_for_thread(fake: FakeLark) -> FakeMessage:
    """The root, once something was replied under it (so its mapping is stored)."""
    await wait_until(lambda: any(fake.thread(r.message_id) for r in fake.roots(NORTHWIND_CHAT)))
    (root,) = fake.roots(NORTHWIND_CHAT)
    return root


async def count(app: RunningApp, table: Any, *where: Any) -> int:
    async with app.db.read_sessions() as session:
        found = await session.execute(select(func.count()).select_from(table).where(*where))
        return int(found.scalar() or 0)


async def test_message_opens_a_thread_with_a_draft_card_and_a_lead_approves_once(
    lark_app, fake, http, callback_server
):
    await post_webhook(http, lark_app.base_url, webhook_body("m-1", SHIPPING))
    card = await wait_for_card(fake)
    (root,) = fake.roots(NORTHWIND_CHAT)
    assert "Jo" in root.text and "Northwind Apparel" in root.text
    assert root.msg_type == "interactive" and fake.calls_to(SEND)[0].body["uuid"].startswith("sd-")
    thread = fake.thread(root.message_id)
    assert card in thread and any(SHIPPING in m.text for m in thread)
    assert all(c.body["reply_in_thread"] is True for c in fake.calls_to(REPLY))
    assert "2-4 business days" in card.text
    assert set(buttons(card.content)) == {"approve", "send_edit", "escalate", "take_over"}

    answer = await press(http, lark_app, fake, card, "approve", who="sam")
    assert answer["toast"]["type"] == "success"
    await wait_until(lambda: len(callback_server.calls) == 1)
    assert "2-4 business days" in callback_server.calls[0].json["text"]
    # Updated in place: who decided, buttons gone.
    await wait_until(lambda: not buttons(card.content))
    assert "decided by Sam Lead" in card.text and card.updates >= 1
    # A second press on an old copy of the card sends nothing more.
    card.content = {**card.content}
    await asyncio.sleep(0.3)
    assert len(callback_server.calls) == 1
    assert len(fake.roots(NORTHWIND_CHAT)) == 1


async def test_url_verification_answers_the_challenge_plain_and_encrypted(
    tmp_path, database_url, embedder, fake, http, lark_env
):
    challenge = {"challenge": "ch-123", "token": LARK_ENV["LARK_VERIFICATION_TOKEN"]}
    challenge["type"] = "url_verification"
    app = await start(tmp_path, database_url, embedder, fake, "http://127.0.0.1:9")
    try:
        body, _ = signed_request(challenge)  # Lark's URL check: encrypted, unsigned
        async with http.post(
            f"{app.base_url}/lark/events", data=body, headers={"Content-Type": "application/json"}
        ) as response:
            assert (response.status, await response.json()) == (200, {"challenge": "ch-123"})
        assert (await deliver(http, app, {**challenge, "token": "forged"}))[0] == 403
    finally:
        await app.stop()
    plain = await start_custom_app(
        tmp_path / "plain",
        database_url,
        embedder,
        lambda raw: add_lark(raw, fake.url, encrypted=False),
    )
    try:
        status, answer = await deliver(http, plain, challenge, encrypt_key=None)
        assert (status, answer) == (200, {"challenge": "ch-123"})
        assert (await deliver(http, plain, {**challenge, "token": "x"}, encrypt_key=None))[0] == 403
    finally:
        await plain.stop()


async def test_bad_signature_stale_timestamp_or_token_store_nothing(lark_app, fake, http):
    await post_webhook(http, lark_app.base_url, webhook_body("m-2", "Do you sell gift cards?"))
    root = await wait_for_thread(fake)
    event = fake.member_message(NORTHWIND_CHAT, OPEN_IDS["ana"], "Yes!", root_id=root.message_id)
    payload = envelope("im.message.receive_v1", event)
    forged_token = {**payload, "header": {**payload["header"], "token": "not-the-token"}}
    assert (await deliver(http, lark_app, payload, sign_with="wrong-key"))[0] == 401
    assert (await deliver(http, lark_app, payload, at=1_000_000))[0] == 401
    assert (await deliver(http, lark_app, forged_token))[0] == 403
    assert (await deliver(http, lark_app, payload, encrypt_key="wrong-key"))[0] in (400, 401)
    assert (await deliver(http, lark_app, payload, encrypt_key=None))[0] == 401
    await asyncio.sleep(0.3)
    assert await count(lark_app, messages, messages.c.direction == "out") == 0
    assert (
        await count(
            lark_app, inbound_receipts, inbound_receipts.c.channel_account_id == "lark:events"
        )
        == 0
    )


async def test_edit_in_the_card_form_sends_the_edited_text_and_keeps_both_versions(
    lark_app, fake, http, callback_server
):
    await post_webhook(http, lark_app.base_url, webhook_body("m-3", SHIPPING))
    card = await wait_for_card(fake)
    answer = await press(
        http, lark_app, fake, card, "send_edit", who="ana", edited_text="Ships in 2 days."
    )
    assert answer["toast"]["type"] == "success"
    await wait_until(lambda: len(callback_server.calls) == 1)
    assert callback_server.calls[0].json["text"] == "Ships in 2 days."
    async with lark_app.db.read_sessions() as session:
        row = (
            await session.execute(
                text("SELECT before, after, actor_id FROM review_actions WHERE action = 'edit'")
            )
        ).one()
    assert "2-4 business days" in row.before
    assert (row.after, row.actor_id) == ("Ships in 2 days.", "ana")
    await wait_until(lambda: not buttons(card.content))


async def test_edit_by_a_thread_reply_sends_the_new_text(lark_app, fake, http, callback_server):
    await post_webhook(http, lark_app.base_url, webhook_body("m-4", SHIPPING))
    await wait_for_card(fake)
    (root,) = fake.roots(NORTHWIND_CHAT)
    await member_says(http, lark_app, fake, "ana", root, "edit: Three days, Jo.")
    await wait_until(lambda: [c.json["text"] for c in callback_server.calls] == ["Three days, Jo."])


async def test_thread_reply_goes_to_the_customer_and_a_note_stays_internal(
    lark_app, fake, http, callback_server
):
    await post_webhook(http, lark_app.base_url, webhook_body("m-5", "Tell me a joke about cats"))
    root = await wait_for_thread(fake)
    await member_says(http, lark_app, fake, "ana", root, "note: regular, be nice")
    event = fake.member_message(
        NORTHWIND_CHAT, OPEN_IDS["ana"], "@_user_1 We only sell clothes!", root_id=root.message_id
    )
    payload = envelope("im.message.receive_v1", event)
    assert (await deliver(http, lark_app, payload))[0] == 200
    # Lark retries the same event (same event_id): nothing happens twice.
    assert (await deliver(http, lark_app, payload))[0] == 200
    await wait_until(lambda: len(callback_server.calls) == 1)
    await asyncio.sleep(0.4)
    assert [c.json["text"] for c in callback_server.calls] == ["We only sell clothes!"]
    assert await count(lark_app, messages, messages.c.direction == "note") == 1
    # The member's own messages are not posted into the thread a second time.
    texts = [m.text for m in fake.thread(root.message_id)]
    assert sum("We only sell clothes" in t for t in texts) == 1
    assert sum("regular, be nice" in t for t in texts) == 1


async def test_a_duplicate_press_delivery_acts_once(lark_app, fake, http, callback_server):
    await post_webhook(http, lark_app.base_url, webhook_body("m-6", SHIPPING))
    card = await wait_for_card(fake)
    event = card_press(OPEN_IDS["sam"], card, buttons(card.content)["approve"])
    payload = envelope("card.action.trigger", event)
    first, second = await asyncio.gather(
        deliver(http, lark_app, payload), deliver(http, lark_app, payload)
    )
    assert {first[0], second[0]} == {200}
    await wait_until(lambda: len(callback_server.calls) == 1)
    await asyncio.sleep(0.4)
    assert len(callback_server.calls) == 1
    assert await count(lark_app, audit_events, audit_events.c.kind == "replied") <= 1


async def test_presses_by_a_client_or_a_stranger_are_refused_and_audited(
    lark_app, fake, http, callback_server
):
    await post_webhook(http, lark_app.base_url, webhook_body("m-7", SHIPPING))
    card = await wait_for_card(fake)
    for who in ("chen", "ou_stranger01"):
        answer = await press(http, lark_app, fake, card, "approve", who=who)
        assert answer["toast"]["type"] == "error"
        assert answer["toast"]["content"].startswith("Not allowed")
    assert await count(lark_app, audit_events, audit_events.c.kind == "denied") == 2
    assert callback_server.calls == []
    assert buttons(card.content)  # still waiting for someone who may decide


async def test_rate_limit_storm_delivers_everything_once_and_in_order(
    lark_app, fake, http, callback_server
):
    fake.fail_next(REPLY, times=3, status=429, code=99991400, reset=1)
    fake.fail_next(SEND, times=1, status=400, code=99991400, reset=1)
    await post_webhook(http, lark_app.base_url, webhook_body("m-8", "How do I return an item?"))
    card = await wait_for_card(fake)
    (root,) = fake.roots(NORTHWIND_CHAT)
    thread = fake.thread(root.message_id)
    assert [m.text for m in thread].count(card.text) == 1
    assert "return" in thread[0].text and thread[-1] is card  # customer first, then the draft
    uuids = [c.body["uuid"] for c in fake.calls if c.code == 0 and "uuid" in c.body]
    assert len(uuids) == len(set(uuids)) == 1 + len(thread)
    limited = [c for c in fake.calls if c.code == 99991400]
    assert len(limited) == 4
    assert callback_server.calls == []


async def test_an_unanswered_send_is_repeated_with_the_same_uuid_not_duplicated(
    lark_app, fake, http
):
    fake.slow_next(SEND, 2.5)  # longer than the client's 2 s timeout: the answer is lost
    await post_webhook(http, lark_app.base_url, webhook_body("m-9", SHIPPING))
    await wait_for_card(fake)
    sends = fake.calls_to(SEND)
    assert len(sends) >= 2 and len({c.body["uuid"] for c in sends}) == 1
    assert len(fake.roots(NORTHWIND_CHAT)) == 1


async def test_an_expired_token_is_refreshed_and_the_call_retried_once(lark_app, fake, http):
    await post_webhook(http, lark_app.base_url, webhook_body("m-10", SHIPPING))
    card = await wait_for_card(fake)
    tokens_before = len(fake.calls_to("POST /open-apis/auth/v3/tenant_access_token/internal"))
    fake.expire_tokens()
    await press(http, lark_app, fake, card, "take_over", who="ana")
    await wait_until(lambda: not buttons(card.content))
    token_calls = fake.calls_to("POST /open-apis/auth/v3/tenant_access_token/internal")
    assert len(token_calls) == tokens_before + 1
    assert any(c.code == 99991663 for c in fake.calls)


async def test_a_store_without_a_configured_group_gets_one_created_once(lark_app, fake, http):
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{lark_app.base_url}/chat/dragon") as page:
            assert page.status == 200
        async with browser.post(
            f"{lark_app.base_url}/chat/dragon/messages",
            json={"client_message_id": "d-1", "text": "多久发货？"},
        ) as response:
            assert response.status in (200, 201, 202), await response.text()
    await wait_until(lambda: len(fake.chats) == 1)
    (chat_id,) = fake.chats
    assert fake.chats[chat_id]["name"] == "Dragon Electronics"
    assert set(fake.chats[chat_id]["user_id_list"]) == {OPEN_IDS["li"], OPEN_IDS["sam"]}
    card = await wait_for_card(fake, chat_id)
    assert "24小时" in card.text
    assert await count(lark_app, lark_chats) == 1


async def test_thread_mapping_survives_a_restart(
    tmp_path, database_url, embedder, fake, http, callback_server, lark_env
):
    first = await start(tmp_path, database_url, embedder, fake, callback_server.url)
    try:
        body = webhook_body("r-1", "How do I return an item?", customer_id="c-r")
        await post_webhook(http, first.base_url, body)
        await wait_for_card(fake)
    finally:
        await first.stop()
    (root,) = fake.roots(NORTHWIND_CHAT)
    second = await start(tmp_path, database_url, embedder, fake, callback_server.url)
    try:
        body = webhook_body("r-2", SHIPPING, customer_id="c-r")
        await post_webhook(http, second.base_url, body)
        await wait_until(lambda: any(SHIPPING in m.text for m in fake.thread(root.message_id)))
        assert len(fake.roots(NORTHWIND_CHAT)) == 1
        # A member's reply in the old thread still reaches the customer.
        await member_says(http, second, fake, "ana", root, "Both answered above.")
        await wait_until(lambda: len(callback_server.calls) == 1)
    finally:
        await second.stop()
