"""WeCom end to end: Storedesk's aiohttp client against a fake WeCom API on 127.0.0.1, with
callbacks sealed by the tests (real AES and signatures) and posted over real HTTP to the
app's callback URL. Every call Storedesk makes is checked by the fake (`assert_all_calls_valid`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from main import RunningApp
from storage.orm import audit_events, inbound_receipts, messages
from tests.integration.test_audit_chain import wait_for_idle_outbox
from tests.support.console_client import wait_until
from tests.support.custom_app import start_custom_app
from tests.support.fake_callback import FakeCallbackServer
from tests.support.fake_wecom import Card, FakeWeCom
from tests.support.webhook_client import post_webhook, webhook_body
from tests.support.wecom_client import (
    ROUTE,
    WECOM_ENV,
    WECOM_USER_IDS,
    add_wecom,
    card_press,
    crypto,
    post_callback,
    sealed,
    text_message,
)

RETURNS = "How do I return an item?"
RETURNS_ANSWER = "Return unworn items within 30 days"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom() as server:
        yield server
        server.assert_all_calls_valid()


async def _start(tmp_path, callback_url, fake, database_url, embedder, **kw: Any) -> RunningApp:
    return await start_custom_app(
        tmp_path,
        database_url,
        embedder,
        lambda config: add_wecom(config, fake.url, **kw),
        callback_url=callback_url,
    )


@pytest.fixture
async def wc_app(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    for name, value in WECOM_ENV.items():
        monkeypatch.setenv(name, value)
    running = await _start(tmp_path, callback_server.url, fake, database_url, embedder)
    yield running
    await running.stop()


async def customer_writes(
    http: aiohttp.ClientSession, app: RunningApp, text: str, message_id: str = "m-1"
) -> None:
    status, _ = await post_webhook(http, app.base_url, webhook_body(message_id, text))
    assert status == 202 or status == 200


async def eventually(predicate: Any) -> None:
    """The whole pipeline runs (drafting included) on 2 shared cores: give it time."""
    await wait_until(predicate, within=30)


async def wait_for_card(fake: FakeWeCom, count: int = 1) -> Card:
    await eventually(lambda: len(fake.cards) >= count)
    return list(fake.cards.values())[count - 1]


def button_key(card: Card, prefix: str) -> str:
    return next(b["key"] for b in card.card["button_list"] if b["key"].startswith(prefix))


async def press(
    http: aiohttp.ClientSession, app: RunningApp, fake: FakeWeCom, card: Card, prefix: str, who: str
) -> None:
    code = fake.press_code(card.task_id)
    event = card_press(who, card.task_id, button_key(card, prefix), code)
    assert (await post_callback(http, app.base_url, event))[0] == 200


async def say(http: aiohttp.ClientSession, app: RunningApp, who: str, text: str) -> None:
    assert (await post_callback(http, app.base_url, text_message(who, text)))[0] == 200


def ref_of(card: Card) -> str:
    return card.card["main_title"]["desc"].split()[0].lstrip("#")


def sent_to_customer(callback_server: FakeCallbackServer) -> list[str]:
    return [c.json["text"] for c in callback_server.calls]


async def count(app: RunningApp, table: Any, *where: Any) -> int:
    async with app.db.read_sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(table).where(*where))).scalar()
            or 0
        )


async def test_customer_message_shows_in_the_store_group_and_a_lead_approves_once(
    wc_app, fake, http, callback_server
):
    await customer_writes(http, wc_app, RETURNS)
    card = await wait_for_card(fake)

    created = fake.calls_to("appchat/create")
    assert len(created) == 1
    assert created[0].body["userlist"] == ["ana.w", "sam.w", "chen.w"]
    assert created[0].body["owner"] == "sam.w" and created[0].body["name"] == "Northwind Apparel"
    texts = fake.group_texts()
    assert texts[0].startswith(f"💬 #{ref_of(card)} Jo · Northwind Apparel")
    assert any(RETURNS in t for t in texts) and any(RETURNS_ANSWER in t for t in texts)
    assert card.touser == ["ana.w", "sam.w"]  # clients read the group; cards go to the team
    assert [b["text"] for b in card.card["button_list"]] == [
        "Approve",
        "Edit",
        "Escalate",
        "Take over",
    ]

    await press(http, wc_app, fake, card, "a:", WECOM_USER_IDS["sam"])
    await eventually(lambda: len(callback_server.calls) == 1)
    assert RETURNS_ANSWER in sent_to_customer(callback_server)[0]
    await eventually(lambda: card.replaced_by == "Approved by Sam Lead")
    sent_by_sam = "Sent to the customer by Sam Lead"
    await eventually(lambda: any(sent_by_sam in t for t in fake.group_texts()))
    # A second press on the decided card (an old client) sends nothing more.
    await press(http, wc_app, fake, card, "a:", WECOM_USER_IDS["sam"])
    await asyncio.sleep(0.5)
    assert len(callback_server.calls) == 1
    assert not any(c.path == "appchat/send" and "template_card" in c.body for c in fake.calls)


async def test_edit_sends_the_edited_text_and_keeps_both_versions(
    wc_app, fake, http, callback_server
):
    await customer_writes(http, wc_app, RETURNS)
    card = await wait_for_card(fake)
    await press(http, wc_app, fake, card, "e:", WECOM_USER_IDS["ana"])
    await eventually(lambda: fake.texts_to("ana.w"))
    assert f"edit {ref_of(card)} <text>" in fake.texts_to("ana.w")[0]
    assert callback_server.calls == []

    edited = "Hi Jo, send it back within 30 days and we refund you."
    await say(http, wc_app, "ana.w", f"edit {ref_of(card)} {edited}")
    await eventually(lambda: sent_to_customer(callback_server) == [edited])
    await eventually(lambda: card.replaced_by == "Edited by Ana Agent")
    async with wc_app.db.read_sessions() as session:
        reviewed = (
            await session.execute(
                select(audit_events.c.payload).where(audit_events.c.kind == "reviewed")
            )
        ).scalar_one()
    assert RETURNS_ANSWER in reviewed["before"] and reviewed["after"] == edited


async def test_a_reply_command_reaches_the_customer_and_a_note_does_not(
    wc_app, fake, http, callback_server
):
    await customer_writes(http, wc_app, "Do you sell gift cards?")
    await eventually(lambda: len(fake.group_texts()) >= 2)
    short = fake.group_texts()[0].split()[1].lstrip("#")
    await say(http, wc_app, "ana.w", f"note {short} check with the warehouse")
    await say(http, wc_app, "ana.w", f"reply {short} Yes, from 10 to 200 euros.")
    await eventually(lambda: sent_to_customer(callback_server) == ["Yes, from 10 to 200 euros."])
    await eventually(
        lambda: (
            any("Internal note by Ana Agent" in t for t in fake.group_texts())
            and any("Sent to the customer by Ana Agent" in t for t in fake.group_texts())
        )
    )
    assert await count(wc_app, messages, messages.c.direction == "note") == 1
    # Something that is not a command gets the help, as a notice through the outbox.
    await say(http, wc_app, "ana.w", "hello?")
    await eventually(lambda: any(t.startswith("Commands:") for t in fake.texts_to("ana.w")))


async def test_a_redelivered_callback_acts_once(wc_app, fake, http, callback_server):
    await customer_writes(http, wc_app, RETURNS)
    card = await wait_for_card(fake)
    code = fake.press_code(card.task_id)
    approve = card_press("sam.w", card.task_id, button_key(card, "a:"), code, at=1_800_000_000)
    query, body = sealed(approve)
    for _ in range(2):  # WeCom retries a callback it thinks was lost
        async with http.post(f"{wc_app.base_url}{ROUTE}", params=query, data=body) as answer:
            assert answer.status == 200
    await eventually(lambda: len(callback_server.calls) == 1)
    reply = text_message("ana.w", f"reply {ref_of(card)} Anything else?", msg_id="77")
    for _ in range(2):  # a retry is sealed anew: same MsgId, new signature
        assert (await post_callback(http, wc_app.base_url, reply))[0] == 200
    await eventually(lambda: len(callback_server.calls) == 2)
    await asyncio.sleep(0.5)
    assert len(callback_server.calls) == 2
    assert await count(wc_app, messages, messages.c.direction == "out") == 2


async def test_a_rate_limit_storm_delivers_everything_in_order_once(
    wc_app, fake, http, callback_server
):
    fake.fail_next("appchat/send", 45009, times=3)
    fake.fail_next("message/send", 45033, times=2)
    await customer_writes(http, wc_app, RETURNS)
    card = await wait_for_card(fake)
    await eventually(lambda: len(fake.group_texts()) >= 3)
    texts = fake.group_texts()
    assert len(texts) == len(set(texts)), "nothing posted twice"
    assert texts[0].startswith("💬") and RETURNS in texts[1] and RETURNS_ANSWER in texts[2]
    assert [c.errcode for c in fake.calls_to("appchat/send")][:3] == [45009] * 3
    assert len(fake.calls_to("message/send")) == 3 and len(fake.cards) == 1
    await press(http, wc_app, fake, card, "a:", "sam.w")
    await eventually(lambda: len(callback_server.calls) == 1)


@pytest.mark.parametrize("who", ["chen.w", "stranger.w"])
async def test_a_press_by_a_client_or_an_unknown_user_is_refused_and_audited(
    wc_app, fake, http, callback_server, who
):
    await customer_writes(http, wc_app, RETURNS)
    card = await wait_for_card(fake)
    await press(http, wc_app, fake, card, "a:", who)
    await eventually(lambda: any("Not done" in t for t in fake.texts_to(who)))
    assert await count(wc_app, audit_events, audit_events.c.kind == "denied") == 1
    await asyncio.sleep(0.3)
    assert callback_server.calls == [] and card.replaced_by is None


async def test_forged_foreign_or_stale_callbacks_are_refused_and_nothing_is_stored(
    wc_app, fake, http
):
    plain = text_message("sam.w", "reply 00000000 hi")
    outcomes = [
        (await post_callback(http, wc_app.base_url, plain, tamper=True))[0],
        (await post_callback(http, wc_app.base_url, plain, sealer=crypto("wwsomeothercorp")))[0],
        (await post_callback(http, wc_app.base_url, plain, timestamp=1_000_000_000))[0],
    ]
    assert outcomes == [403, 403, 403]
    assert await count(wc_app, inbound_receipts) == 0
    assert fake.calls == []


async def test_the_callback_url_check_echoes_the_decrypted_echostr(wc_app, http):
    sealer = crypto()
    encrypted = sealer.encrypt(b"5927493854785741")
    stamp, nonce = str(int(time.time())), "n1"
    query = {"msg_signature": sealer.sign(stamp, nonce, encrypted), "timestamp": stamp}
    query |= {"nonce": nonce, "echostr": encrypted}
    async with http.get(f"{wc_app.base_url}{ROUTE}", params=query) as answer:
        assert (answer.status, await answer.text()) == (200, "5927493854785741")
    query["msg_signature"] = "0" * 40
    async with http.get(f"{wc_app.base_url}{ROUTE}", params=query) as answer:
        assert answer.status == 403


async def test_the_group_and_cards_survive_a_restart(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch, http
):
    for name, value in WECOM_ENV.items():
        monkeypatch.setenv(name, value)
    first = await _start(tmp_path, callback_server.url, fake, database_url, embedder)
    try:
        await customer_writes(http, first, RETURNS)
        card = await wait_for_card(fake)
        await eventually(lambda: len(fake.group_texts()) >= 3)
        # Stop between steps, not mid-post: a post cut off by a stop waits out its lease.
        await wait_for_idle_outbox(first)
    finally:
        await first.stop()
    second = await _start(tmp_path, callback_server.url, fake, database_url, embedder)
    try:
        await press(http, second, fake, card, "a:", "sam.w")
        await eventually(lambda: len(callback_server.calls) == 1)
        await customer_writes(http, second, "How long does shipping take?", message_id="m-2")
        await eventually(lambda: any("shipping" in t for t in fake.group_texts()))
        assert len(fake.calls_to("appchat/create")) == 1 and len(fake.chats) == 1
        await eventually(lambda: card.replaced_by == "Approved by Sam Lead")
    finally:
        await second.stop()


async def test_a_configured_group_is_used_as_it_is(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch, http
):
    for name, value in WECOM_ENV.items():
        monkeypatch.setenv(name, value)
    fake.chats["nwgroup1"] = {"name": "Northwind", "userlist": ["sam.w", "ana.w"], "messages": []}
    app = await _start(
        tmp_path, callback_server.url, fake, database_url, embedder, chat_id="nwgroup1"
    )
    try:
        await customer_writes(http, app, RETURNS)
        await wait_for_card(fake)
        await eventually(lambda: len(fake.group_texts("nwgroup1")) >= 3)
        assert fake.calls_to("appchat/create") == []
    finally:
        await app.stop()
