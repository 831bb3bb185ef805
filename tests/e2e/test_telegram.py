"""Telegram end to end: real aiogram (store bots) and python-telegram-bot (team bot) against a
fake Bot API on 127.0.0.1; updates arrive over real HTTP at the webhook routes (or through
the fake's getUpdates when polling). Every call Storedesk makes is checked against the Bot
API spec.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from connectors.telegram.accounts import telegram_settings
from main import RunningApp, start_app
from storage.orm import audit_events, inbound_receipts, messages, telegram_blocked_chats
from tests.support.config import (
    TELEGRAM_ENV,
    TELEGRAM_SECRET,
    TELEGRAM_STORE_TOKEN,
    TELEGRAM_TEAM_CHAT,
    TELEGRAM_TEAM_SECRET,
    TELEGRAM_TEAM_TOKEN,
    TELEGRAM_USER_IDS,
    add_telegram,
    settings_dict,
)
from tests.support.console_client import wait_until
from tests.support.fake_telegram import FakeTelegram
from tests.support.webhook_client import post_webhook, webhook_body

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CUSTOMER = {"id": 5001, "is_bot": False, "first_name": "Olga", "language_code": "en"}
CHAT = CUSTOMER["id"]
SHIPPING = "How long does shipping take?"


def member(name: str) -> dict[str, Any]:
    return {"id": TELEGRAM_USER_IDS[name], "is_bot": False, "first_name": name.title()}


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
        server.assert_all_calls_valid()


async def _start(
    tmp_path,
    callback_url: str,
    fake_url: str,
    database_url: str,
    embedder,
    *,
    polling: bool,
    public_url: str | None = None,
) -> RunningApp:
    raw = add_telegram(
        settings_dict(tmp_path / "data", callback_url, database_url=database_url),
        fake_url,
        polling=polling,
    )
    raw["server"]["public_url"] = public_url
    return await start_app(
        Settings.model_validate(raw),
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )


@pytest.fixture
async def tg_app(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    for name, value in TELEGRAM_ENV.items():
        monkeypatch.setenv(name, value)
    running = await _start(
        tmp_path, callback_server.url, fake.url, database_url, embedder, polling=False
    )
    yield running
    await running.stop()


async def post_update(
    http: aiohttp.ClientSession,
    app: RunningApp,
    update: dict[str, Any],
    *,
    team: bool = False,
    secret: str | None = "default",
) -> int:
    path = "/telegram/team" if team else "/tg/nw-telegram"
    if secret == "default":
        secret = TELEGRAM_TEAM_SECRET if team else TELEGRAM_SECRET
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with http.post(f"{app.base_url}{path}", json=update, headers=headers) as response:
        return response.status


def customer_says(fake: FakeTelegram, text: str, **content: Any) -> dict[str, Any]:
    return fake.user_message(TELEGRAM_STORE_TOKEN, CHAT, CUSTOMER, text=text, **content)


def team_messages(fake: FakeTelegram) -> list[dict[str, Any]]:
    return fake.messages(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT)


def sent_to_customer(fake: FakeTelegram) -> list[str]:
    return [m.get("text", "") for m in fake.messages(TELEGRAM_STORE_TOKEN, CHAT)]


def card(fake: FakeTelegram) -> dict[str, Any] | None:
    for message in team_messages(fake):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        if any(b.get("callback_data", "").startswith("a:") for row in rows for b in row):
            return message
    return None


def button(message: dict[str, Any], prefix: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for each in row:
            if each.get("callback_data", "").startswith(prefix):
                return each["callback_data"]
    raise AssertionError(f"no {prefix} button")


async def wait_for_card(fake: FakeTelegram) -> dict[str, Any]:
    await wait_until(lambda: card(fake) is not None)
    found = card(fake)
    assert found is not None
    return found


async def press(
    http: aiohttp.ClientSession,
    app: RunningApp,
    fake: FakeTelegram,
    message: dict,
    data: str,
    who: str = "ana",
) -> None:
    update = fake.callback_query(
        TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT, message["message_id"], member(who), data
    )
    assert await post_update(http, app, update, team=True) == 200


async def count(app: RunningApp, table: Any, *where: Any) -> int:
    async with app.db.read_sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(table).where(*where))).scalar()
            or 0
        )


async def test_customer_message_lands_in_the_store_topic_and_approval_reaches_the_chat_once(
    tg_app, fake, http
):
    assert await post_update(http, tg_app, customer_says(fake, SHIPPING)) == 200
    draft_card = await wait_for_card(fake)

    topics = fake.topics(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT)
    assert [t["name"] for t in topics] == ["Northwind Apparel"]
    thread = topics[0]["message_thread_id"]
    chain = team_messages(fake)
    assert all(m["message_thread_id"] == thread for m in chain)
    header = chain[0]
    assert "Olga" in header["text"] and "telegram" in header["text"]
    assert all(m["reply_to_message"]["message_id"] == header["message_id"] for m in chain[1:])
    assert any(SHIPPING in m.get("text", "") for m in chain)
    assert "2-4 business days" in draft_card["text"]

    approve = button(draft_card, "a:")
    await press(http, tg_app, fake, draft_card, approve)
    await wait_until(lambda: len(sent_to_customer(fake)) == 1)
    assert "2-4 business days" in sent_to_customer(fake)[0]
    answers = fake.calls_of("answerCallbackQuery", TELEGRAM_TEAM_TOKEN)
    assert answers and answers[-1].params.get("show_alert") is None
    # The card is edited in place: decided, no buttons left.
    await wait_until(
        lambda: (
            "reply_markup"
            not in fake.message(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT, draft_card["message_id"])
        )
    )
    # A second press on the decided card (an old client) sends nothing more.
    await press(http, tg_app, fake, draft_card, approve)
    await asyncio.sleep(0.5)
    assert len(sent_to_customer(fake)) == 1
    assert await count(tg_app, messages, messages.c.direction == "in") == 1


async def test_a_redelivered_update_creates_nothing(tg_app, fake, http):
    update = customer_says(fake, SHIPPING)
    assert await post_update(http, tg_app, update) == 200
    await wait_for_card(fake)
    posted = len(team_messages(fake))
    assert await post_update(http, tg_app, update) == 200
    await asyncio.sleep(0.4)
    assert await count(tg_app, messages, messages.c.direction == "in") == 1
    assert len(team_messages(fake)) == posted


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    tg_app, fake, http, secret
):
    assert await post_update(http, tg_app, customer_says(fake, SHIPPING), secret=secret) == 401
    assert (
        await post_update(http, tg_app, customer_says(fake, "x"), team=True, secret=secret) == 401
    )
    assert await count(tg_app, messages) == 0
    assert await count(tg_app, inbound_receipts) == 0
    assert team_messages(fake) == []


async def test_edit_by_replying_to_the_card_then_confirming_sends_the_new_text(tg_app, fake, http):
    await post_update(http, tg_app, customer_says(fake, SHIPPING))
    draft_card = await wait_for_card(fake)
    await press(http, tg_app, fake, draft_card, button(draft_card, "e:"))
    hint = fake.calls_of("answerCallbackQuery", TELEGRAM_TEAM_TOKEN)[-1]
    assert hint.params["show_alert"] == "true" and "Reply to the draft card" in hint.params["text"]

    edit = fake.user_message(
        TELEGRAM_TEAM_TOKEN,
        TELEGRAM_TEAM_CHAT,
        member("ana"),
        text="Shipping takes 3 days, Olga.",
        thread_id=draft_card["message_thread_id"],
        reply_to=draft_card["message_id"],
    )
    assert await post_update(http, tg_app, edit, team=True) == 200
    prompt = next(
        m
        for m in team_messages(fake)
        if (m.get("reply_to_message") or {}).get("message_id") == edit["message"]["message_id"]
    )
    assert sent_to_customer(fake) == []  # nothing goes out before the confirm press
    await press(http, tg_app, fake, prompt, button(prompt, "s:"))
    await wait_until(lambda: sent_to_customer(fake) == ["Shipping takes 3 days, Olga."])
    assert "reply_markup" not in fake.message(
        TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT, prompt["message_id"]
    )


async def test_a_plain_reply_goes_to_the_customer_and_a_note_stays_internal(tg_app, fake, http):
    await post_update(http, tg_app, customer_says(fake, "Do you sell gift cards?"))
    await wait_until(lambda: len(team_messages(fake)) >= 2)
    customer_post = next(m for m in team_messages(fake) if "gift cards" in m.get("text", ""))
    for text in ("note: check with the warehouse", "Yes, from 10 to 200 euros."):
        reply = fake.user_message(
            TELEGRAM_TEAM_TOKEN,
            TELEGRAM_TEAM_CHAT,
            member("ana"),
            text=text,
            thread_id=customer_post["message_thread_id"],
            reply_to=customer_post["message_id"],
        )
        assert await post_update(http, tg_app, reply, team=True) == 200
    await wait_until(lambda: sent_to_customer(fake) == ["Yes, from 10 to 200 euros."])
    assert await count(tg_app, messages, messages.c.direction == "note") == 1
    assert not any("warehouse" in text for text in sent_to_customer(fake))


async def test_a_press_by_a_client_is_refused_with_an_alert_and_audited(tg_app, fake, http):
    await post_update(http, tg_app, customer_says(fake, SHIPPING))
    draft_card = await wait_for_card(fake)
    await press(http, tg_app, fake, draft_card, button(draft_card, "a:"), who="chen")
    alert = fake.calls_of("answerCallbackQuery", TELEGRAM_TEAM_TOKEN)[-1]
    assert alert.params["show_alert"] == "true" and alert.params["text"].startswith("Not allowed")
    assert await count(tg_app, audit_events, audit_events.c.kind == "denied") == 1
    await asyncio.sleep(0.3)
    assert sent_to_customer(fake) == []


async def test_rate_limited_send_is_delivered_after_retry_after(tg_app, fake, http):
    await post_update(http, tg_app, customer_says(fake, SHIPPING))
    draft_card = await wait_for_card(fake)
    fake.fail_next("sendMessage", token=TELEGRAM_STORE_TOKEN, status=429, retry_after=1)
    await press(http, tg_app, fake, draft_card, button(draft_card, "a:"))
    await wait_until(lambda: len(sent_to_customer(fake)) == 1, within=10)
    tries = fake.calls_of("sendMessage", TELEGRAM_STORE_TOKEN)
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.9  # retry_after was honoured


async def test_a_customer_who_blocked_the_bot_is_marked_and_not_retried(tg_app, fake, http):
    await post_update(http, tg_app, customer_says(fake, SHIPPING))
    draft_card = await wait_for_card(fake)
    fake.block(TELEGRAM_STORE_TOKEN, CHAT)
    await press(http, tg_app, fake, draft_card, button(draft_card, "a:"))
    await wait_until(lambda: any("blocked" in m.get("text", "") for m in team_messages(fake)))
    await asyncio.sleep(0.5)
    assert len(fake.calls_of("sendMessage", TELEGRAM_STORE_TOKEN)) == 1  # no retry loop
    assert await count(tg_app, audit_events, audit_events.c.kind == "delivery_failed") == 1
    assert await count(tg_app, telegram_blocked_chats) == 1
    # The next reply to the blocked chat fails at once, without calling Telegram again.
    customer_post = next(m for m in team_messages(fake) if SHIPPING in m.get("text", ""))
    reply = fake.user_message(
        TELEGRAM_TEAM_TOKEN,
        TELEGRAM_TEAM_CHAT,
        member("ana"),
        text="Are you still there?",
        thread_id=customer_post["message_thread_id"],
        reply_to=customer_post["message_id"],
    )
    assert await post_update(http, tg_app, reply, team=True) == 200

    async def failed_twice() -> bool:
        return await count(tg_app, audit_events, audit_events.c.kind == "delivery_failed") == 2

    await wait_until(failed_twice)
    assert len(fake.calls_of("sendMessage", TELEGRAM_STORE_TOKEN)) == 1


async def test_a_long_reply_arrives_as_two_messages_in_order(tg_app, fake, http):
    await post_update(http, tg_app, customer_says(fake, "Tell me everything"))
    await wait_until(lambda: len(team_messages(fake)) >= 2)
    customer_post = next(m for m in team_messages(fake) if "everything" in m.get("text", ""))
    words = [f"w{index:04d}" for index in range(1000)]  # 5,000 characters with spaces
    long_text = " ".join(words)[:5000].rstrip()
    reply = fake.user_message(
        TELEGRAM_TEAM_TOKEN,
        TELEGRAM_TEAM_CHAT,
        member("ana"),
        text=long_text,
        thread_id=customer_post["message_thread_id"],
        reply_to=customer_post["message_id"],
    )
    assert await post_update(http, tg_app, reply, team=True) == 200
    await wait_until(lambda: len(sent_to_customer(fake)) == 2, within=10)
    first, second = sent_to_customer(fake)
    assert len(first) <= 4096 and f"{first} {second}" == long_text


async def test_photos_and_documents_reach_the_team_topic(tg_app, fake, http):
    photo = fake.add_file(TELEGRAM_STORE_TOKEN, b"\x89PNG fake photo bytes", "p.jpg")
    document = fake.add_file(TELEGRAM_STORE_TOKEN, b"%PDF-1.4 invoice", "invoice.pdf")
    update = customer_says(
        fake, None, photo=[{**photo, "width": 90, "height": 90}], caption="It arrived broken"
    )
    assert await post_update(http, tg_app, update) == 200
    update = customer_says(fake, None, document={**document, "file_name": "invoice.pdf"})
    assert await post_update(http, tg_app, update) == 200
    await wait_until(lambda: {"photo", "document"} <= {k for m in team_messages(fake) for k in m})
    shown = {k: m for m in team_messages(fake) for k in ("photo", "document") if k in m}
    assert fake.file_content(shown["photo"]["photo"][0]["file_id"]) == b"\x89PNG fake photo bytes"
    assert fake.file_content(shown["document"]["document"]["file_id"]) == b"%PDF-1.4 invoice"
    assert any("It arrived broken" in m.get("text", "") for m in team_messages(fake))


async def _customer_post(fake: FakeTelegram, http, app: RunningApp, text: str) -> dict:
    await post_update(http, app, customer_says(fake, text))
    await wait_until(lambda: any(text in m.get("text", "") for m in team_messages(fake)))
    return next(m for m in team_messages(fake) if text in m.get("text", ""))


def member_sends_file(
    fake: FakeTelegram, who: str, to: dict[str, Any], kind: str, content: bytes, **extra: Any
) -> dict[str, Any]:
    """A member's reply in the team topic carrying a photo or a document."""
    stored = fake.add_file(TELEGRAM_TEAM_TOKEN, content, "upload.bin")
    media: Any = [{**stored, "width": 800, "height": 600}] if kind == "photo" else stored
    return fake.user_message(
        TELEGRAM_TEAM_TOKEN,
        TELEGRAM_TEAM_CHAT,
        member(who),
        thread_id=to["message_thread_id"],
        reply_to=to["message_id"],
        **{kind: media},
        **extra,
    )


def customer_received(fake: FakeTelegram, kind: str) -> list[dict[str, Any]]:
    return [m for m in fake.messages(TELEGRAM_STORE_TOKEN, CHAT) if kind in m]


def uploaded(call: Any, field: str) -> bytes:
    """The bytes sent as a file part for `field` (aiogram names the part `attach://<id>`)."""
    reference = str(call.params[field])
    assert reference.startswith("attach://"), f"{field} was not uploaded: {reference}"
    return call.files[reference.removeprefix("attach://")]


async def _outbound_attachments(app: RunningApp) -> list[Any]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            select(messages.c.attachments).where(messages.c.direction == "out")
        )
        return [row[0] for row in rows]


async def test_a_photo_reply_from_the_team_topic_reaches_the_customer_once_with_its_caption(
    tg_app, fake, http
):
    customer_post = await _customer_post(fake, http, tg_app, "Which color is the scarf?")
    photo = b"\xff\xd8\xff team photo of the scarf"
    reply = member_sends_file(fake, "ana", customer_post, "photo", photo, caption="This one!")
    assert await post_update(http, tg_app, reply, team=True) == 200

    await wait_until(lambda: len(customer_received(fake, "photo")) == 1, within=10)
    (received,) = customer_received(fake, "photo")
    assert received["caption"] == "This one!"
    assert fake.file_content(received["photo"][0]["file_id"]) == photo
    (call,) = fake.calls_of("sendPhoto", TELEGRAM_STORE_TOKEN)
    assert uploaded(call, "photo") == photo  # a multipart upload of the stored file
    assert int(call.params["chat_id"]) == CHAT
    (stored,) = await _outbound_attachments(tg_app)
    assert [(a["kind"], a["size"]) for a in stored] == [("photo", len(photo))]
    await asyncio.sleep(0.4)
    assert len(fake.calls_of("sendPhoto", TELEGRAM_STORE_TOKEN)) == 1
    assert fake.calls_of("sendMessage", TELEGRAM_STORE_TOKEN) == []  # the caption was enough


async def test_a_document_reply_reaches_the_customer_as_a_document(tg_app, fake, http):
    customer_post = await _customer_post(fake, http, tg_app, "Can I get my invoice?")
    invoice = b"%PDF-1.4 the invoice the team sends"
    reply = member_sends_file(
        fake, "ana", customer_post, "document", invoice, caption="Your invoice"
    )
    reply["message"]["document"]["file_name"] = "invoice-1042.pdf"
    assert await post_update(http, tg_app, reply, team=True) == 200

    await wait_until(lambda: len(customer_received(fake, "document")) == 1, within=10)
    (received,) = customer_received(fake, "document")
    assert received["caption"] == "Your invoice"
    assert fake.file_content(received["document"]["file_id"]) == invoice
    (call,) = fake.calls_of("sendDocument", TELEGRAM_STORE_TOKEN)
    assert uploaded(call, "document") == invoice
    assert call.params["caption"] == "Your invoice"
    (stored,) = await _outbound_attachments(tg_app)
    assert [(a["kind"], a["name"]) for a in stored] == [("document", "invoice-1042.pdf")]
    await asyncio.sleep(0.4)
    assert len(fake.calls_of("sendDocument", TELEGRAM_STORE_TOKEN)) == 1

    # A file needs no caption: it goes alone, with no empty caption or message.
    receipt = b"%PDF-1.4 the receipt"
    reply = member_sends_file(fake, "ana", customer_post, "document", receipt)
    assert await post_update(http, tg_app, reply, team=True) == 200
    await wait_until(lambda: len(customer_received(fake, "document")) == 2, within=10)
    last = fake.calls_of("sendDocument", TELEGRAM_STORE_TOKEN)[-1]
    assert uploaded(last, "document") == receipt and "caption" not in last.params
    assert fake.calls_of("sendMessage", TELEGRAM_STORE_TOKEN) == []


async def test_a_file_reply_by_a_client_is_refused_and_audited(tg_app, fake, http, tmp_path):
    customer_post = await _customer_post(fake, http, tg_app, "Which color is the scarf?")
    reply = member_sends_file(fake, "chen", customer_post, "photo", b"client photo")
    assert await post_update(http, tg_app, reply, team=True) == 200

    assert await count(tg_app, audit_events, audit_events.c.kind == "denied") == 1
    assert any("Not allowed" in m.get("text", "") for m in team_messages(fake))
    await asyncio.sleep(0.4)
    assert customer_received(fake, "photo") == []
    assert fake.calls_of("sendPhoto", TELEGRAM_STORE_TOKEN) == []
    assert await count(tg_app, messages, messages.c.direction == "out") == 0
    team_media = tmp_path / "data" / "media" / "telegram" / "team"
    assert not team_media.exists() or list(team_media.iterdir()) == []  # nothing kept


async def test_a_file_over_the_media_cap_is_not_downloaded_nor_sent(tg_app, fake, http):
    customer_post = await _customer_post(fake, http, tg_app, "Can I get my invoice?")
    reply = member_sends_file(fake, "ana", customer_post, "document", b"%PDF big")
    reply["message"]["document"]["file_size"] = (
        telegram_settings(tg_app.settings).max_media_bytes + 1
    )
    assert await post_update(http, tg_app, reply, team=True) == 200

    assert any("larger than" in m.get("text", "") for m in team_messages(fake))
    assert fake.calls_of("getFile", TELEGRAM_TEAM_TOKEN) == []
    assert await count(tg_app, messages, messages.c.direction == "out") == 0


async def test_a_file_reply_to_a_customer_on_another_channel_is_refused(tg_app, fake, http):
    body = webhook_body("mk-1", "Is the blue scarf back?", customer_id="c-77", name="Mo")
    assert (await post_webhook(http, tg_app.base_url, body))[0] == 202
    await wait_until(lambda: any("blue scarf" in m.get("text", "") for m in team_messages(fake)))
    customer_post = next(m for m in team_messages(fake) if "blue scarf" in m.get("text", ""))
    reply = member_sends_file(fake, "ana", customer_post, "photo", b"photo", caption="Yes")
    assert await post_update(http, tg_app, reply, team=True) == 200

    assert any("cannot receive files" in m.get("text", "") for m in team_messages(fake))
    assert await count(tg_app, messages, messages.c.direction == "out") == 0
    assert fake.calls_of("getFile", TELEGRAM_TEAM_TOKEN) == []  # nothing was downloaded


async def test_start_greets_in_the_store_tone(tg_app, fake, http):
    assert await post_update(http, tg_app, customer_says(fake, "/start")) == 200
    assert sent_to_customer(fake)[0].startswith("Hi Olga,")
    assert "Northwind Support" in sent_to_customer(fake)[0]
    assert await count(tg_app, messages) == 0


async def test_polling_mode_reads_updates_from_get_updates(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch
):
    for name, value in TELEGRAM_ENV.items():
        monkeypatch.setenv(name, value)
    running = await _start(
        tmp_path, callback_server.url, fake.url, database_url, embedder, polling=True
    )
    try:
        fake.push_update(TELEGRAM_STORE_TOKEN, customer_says(fake, SHIPPING))
        draft_card = await wait_for_card(fake)
        update = fake.callback_query(
            TELEGRAM_TEAM_TOKEN,
            TELEGRAM_TEAM_CHAT,
            draft_card["message_id"],
            member("ana"),
            button(draft_card, "a:"),
        )
        fake.push_update(TELEGRAM_TEAM_TOKEN, update)
        await wait_until(lambda: len(sent_to_customer(fake)) == 1)
        assert fake.calls_of("deleteWebhook", TELEGRAM_STORE_TOKEN)
        assert fake.calls_of("getUpdates", TELEGRAM_TEAM_TOKEN)
    finally:
        await running.stop()


async def test_a_customer_edit_updates_the_mirrored_copy(tg_app, fake, http):
    original = customer_says(fake, "Where is my order 1234?")
    await post_update(http, tg_app, original)
    await wait_until(lambda: any("1234" in m.get("text", "") for m in team_messages(fake)))
    mirrored = next(m for m in team_messages(fake) if "1234" in m.get("text", ""))
    edit = fake.edited_message(
        TELEGRAM_STORE_TOKEN, CHAT, original["message"]["message_id"], "Where is my order 1235?"
    )
    assert await post_update(http, tg_app, edit) == 200
    await wait_until(
        lambda: (
            "1235"
            in fake.message(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT, mirrored["message_id"])["text"]
        )
    )
    assert await count(tg_app, messages) == 1
    assert await count(tg_app, audit_events, audit_events.c.kind == "customer_edited") == 1


async def test_webhook_mode_registers_each_bot_with_its_secret(
    tmp_path, callback_server, embedder, fake, database_url, monkeypatch
):
    for name, value in TELEGRAM_ENV.items():
        monkeypatch.setenv(name, value)
    running = await _start(
        tmp_path,
        callback_server.url,
        fake.url,
        database_url,
        embedder,
        polling=False,
        public_url="https://desk.example.com",
    )
    await running.stop()
    assert fake.webhooks[TELEGRAM_STORE_TOKEN]["url"] == "https://desk.example.com/tg/nw-telegram"
    assert fake.webhooks[TELEGRAM_STORE_TOKEN]["secret_token"] == TELEGRAM_SECRET
    assert fake.webhooks[TELEGRAM_TEAM_TOKEN]["url"] == "https://desk.example.com/telegram/team"
    assert fake.webhooks[TELEGRAM_TEAM_TOKEN]["secret_token"] == TELEGRAM_TEAM_SECRET
    assert not fake.calls_of("getUpdates")
