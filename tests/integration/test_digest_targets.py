"""Digests to Telegram (real python-telegram-bot against the spec-checked fake Bot API), by
mail (real aiosmtplib against aiosmtpd) and to the console; exactly once per run key, also
when a run dies between its parts and is completed after a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.digest_config import DigestEmailConfig
from bot.services.digest_markup import TELEGRAM_TEXT_LIMIT, telegram_messages
from bot.workspaces.email_digest import EmailDigestTarget
from bot.workspaces.telegram.digest_target import TelegramDigestTarget
from scheduler.digests import DigestRunner
from scheduler.wiring import target_factory
from storage import digest_delivery
from storage.database import Database
from storage.digest_delivery import PartLog
from storage.orm import digest_parts
from tests.integration import test_digests as base
from tests.integration.test_digests import MORNING_AFTER, assert_png, subscription
from tests.support.digest_db import FixedClock
from tests.support.fake_telegram import FakeTelegram
from tests.support.mail_servers import PASSWORD, USER, SmtpServer

db = base.db
TOKEN = "333333:digest-team-bot"
CHAT = -1009876543
KEY = "daily-nw:2026-11-22"
CHARTS = ["response-time.png", "volume-by-store.png", "intent-mix.png"]


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    async with FakeTelegram() as fake:
        bot = Bot(TOKEN, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")
        async with bot:
            yield fake, bot
        fake.assert_all_calls_valid()


@pytest.fixture
def smtp() -> AsyncIterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def telegram_runner(db: Database, bot: Bot, clock: FixedClock, worker: str) -> DigestRunner:
    progress = PartLog(db, clock)
    targets = target_factory(
        None, others={"telegram": lambda chat: TelegramDigestTarget(bot, int(chat), progress)}
    )
    return DigestRunner(db, clock, targets, worker_id=worker)


def mail_config(port: int) -> DigestEmailConfig:
    return DigestEmailConfig(
        address="digests@storedesk.example",
        username=USER,
        password=PASSWORD,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        timeout_seconds=5,
    )


def mail_runner(db: Database, port: int, clock: FixedClock, worker: str) -> DigestRunner:
    progress = PartLog(db, clock)
    config = mail_config(port)
    targets = target_factory(
        None, others={"email": lambda to: EmailDigestTarget(config, to.split(","), progress)}
    )
    return DigestRunner(db, clock, targets, worker_id=worker)


async def test_digest_reaches_telegram_as_html_text_and_one_photo_per_chart(db, telegram) -> None:
    fake, bot = telegram
    runner = telegram_runner(db, bot, FixedClock(MORNING_AFTER), "w1")
    assert await runner.run_due(subscription(f"telegram:{CHAT}")) is True

    (text,) = fake.calls_of("sendMessage", TOKEN)
    assert text.params["parse_mode"] == "HTML"
    assert text.params["text"].startswith("<b>Daily digest · Northwind · 2026-11-22</b>")
    assert "Conversations: <b>4</b>" in text.params["text"]
    photos = fake.calls_of("sendPhoto", TOKEN)
    captions = [call.params["caption"] for call in photos]
    assert captions == ["First response trend", "Volume by store", "Intent mix"]
    for call, name in zip(photos, CHARTS, strict=True):
        assert call.problems == [] and call.status == 200
        (png,) = call.files.values()
        assert_png(png, f"telegram-{db.dialect}-{name}")
    assert [m.get("photo") is not None for m in fake.messages(TOKEN, CHAT)] == [
        False,
        True,
        True,
        True,
    ]

    calls = len(fake.calls)
    assert await runner.run_due(subscription(f"telegram:{CHAT}")) is False  # same key
    assert len(fake.calls) == calls


async def test_a_telegram_run_that_died_after_its_text_sends_only_the_photos_after_restart(
    db, telegram
) -> None:
    fake, bot = telegram
    clock = FixedClock(MORNING_AFTER)
    sub = subscription(f"telegram:{CHAT}")
    fake.fail_next("sendPhoto", status=502, retry_after=None, description="Bad Gateway")
    assert await telegram_runner(db, bot, clock, "w1").run_due(sub) is False  # text went out
    assert len(fake.calls_of("sendMessage", TOKEN)) == 1

    restarted = telegram_runner(db, bot, clock, "w2")
    assert await restarted.run_due(sub) is True
    assert await restarted.run_due(sub) is False

    assert len(fake.calls_of("sendMessage", TOKEN)) == 1  # the text exactly once
    kept = fake.messages(TOKEN, CHAT)
    assert len(kept) == 4 and sum(1 for m in kept if m.get("photo")) == 3
    async with db.read_sessions() as session:
        parts = set((await session.execute(select(digest_parts.c.part))).scalars())
    assert parts == {"text:0", *(f"photo:{name}" for name in CHARTS)}


def test_a_long_digest_is_split_on_lines_under_telegram_s_limit_with_escaping() -> None:
    line = "- Question about <tags> & **sizes** " + "x" * 90
    markdown = "# Daily digest · A&B\n" + "\n".join([line] * 120)
    messages = telegram_messages(markdown)
    assert len(messages) >= 3
    assert all(len(m) <= TELEGRAM_TEXT_LIMIT for m in messages)
    assert messages[0].startswith("<b>Daily digest · A&amp;B</b>")
    assert all(m.count("<b>") == m.count("</b>") for m in messages)
    assert "• Question about &lt;tags&gt; &amp; <b>sizes</b>" in messages[1]
    # One line longer than a message is cut, never inside an entity.
    huge = telegram_messages("&" * 2000)
    assert len(huge) == 3 and all(len(m) <= TELEGRAM_TEXT_LIMIT for m in huge)
    assert "".join(huge) == "&amp;" * 2000


def _parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


async def test_digest_mail_is_html_with_inline_charts_and_a_text_alternative(db, smtp) -> None:
    runner = mail_runner(db, smtp.port, FixedClock(MORNING_AFTER), "w1")
    sub = subscription("email:boss@northwind.example,ops@northwind.example")
    assert await runner.run_due(sub) is True
    assert await runner.run_due(sub) is False  # same key: no second mail

    (mail,) = smtp.received
    assert mail.rcpt_tos == ["boss@northwind.example", "ops@northwind.example"]
    assert smtp.logins == [USER]
    message = mail.message
    assert message["Subject"] == "Daily digest · Northwind · 2026-11-22"
    assert _parts(message) == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "image/png",
        "image/png",
    ]
    text = message.get_body(("plain",))
    assert text is not None and "Conversations: **4**" in text.get_content()
    html = message.get_body(("html",))
    assert html is not None
    body = html.get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    for image, name in zip(images, CHARTS, strict=True):
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in body
        assert image.get_content_disposition() == "inline"
        assert_png(image.get_content(), f"mail-{db.dialect}-{name}")
    assert "<li>Conversations: <b>4</b>" in body


async def test_a_mail_already_accepted_before_a_crash_is_not_sent_again(db, smtp) -> None:
    clock = FixedClock(MORNING_AFTER)
    sub = subscription("email:boss@northwind.example")
    smtp.answer = "451 Try again later"
    assert await mail_runner(db, smtp.port, clock, "w1").run_due(sub) is False
    assert smtp.received == []
    smtp.answer = "250 Message accepted for delivery"

    # The process mailed the digest and died before recording the run as delivered.
    runner = mail_runner(db, smtp.port, clock, "w2")
    digest = await runner.compose(sub, _period(), KEY)
    target = EmailDigestTarget(
        mail_config(smtp.port), ["boss@northwind.example"], PartLog(db, clock)
    )
    await target.deliver(digest)
    assert len(smtp.received) == 1

    restarted = mail_runner(db, smtp.port, clock, "w3")
    assert await restarted.run_due(sub) is True  # recorded now, nothing mailed again
    assert await restarted.run_due(sub) is False
    assert len(smtp.received) == 1


def _period():
    from bot.services.periods import completed_before

    return completed_before(MORNING_AFTER, "day", "UTC")


async def test_console_digests_keep_their_charts_and_respect_the_member_s_stores(db) -> None:
    runner = DigestRunner(db, FixedClock(MORNING_AFTER), target_factory(None, db=db), worker_id="w")
    assert await runner.run_due(subscription("console")) is True
    client = subscription("console", id="acme", store_ids=(), client_id="acme")
    assert await runner.run_due(client) is True

    async with db.read_sessions() as session:
        for_nw = await digest_delivery.console_digests(session, {"nw"})
        for_acme = await digest_delivery.console_digests(session, {"nw", "nw2"})
        hidden = await digest_delivery.console_digest(session, "acme:2026-11-22", {"nw"})
        found = await digest_delivery.console_digest(session, KEY, {"nw", "dr"})
    assert [d["key"] for d in for_nw] == [KEY]
    assert sorted(d["key"] for d in for_acme) == ["acme:2026-11-22", KEY]
    assert hidden is None  # covers nw2 too, which this member may not see
    assert found is not None
    detail, images = found
    assert detail["text"].startswith("# Daily digest · Northwind")
    assert [i.filename for i in images] == CHARTS
    assert_png(images[0].png, f"console-{db.dialect}-{CHARTS[0]}")
