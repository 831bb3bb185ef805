"""Knowledge proposal cards in the team's Telegram, end to end through python-telegram-bot
against the fake Bot API (every call checked against the spec), on SQLite and PostgreSQL:
an agent's edit posts a card in the store topic's conversation chain, only a lead decides
(Accept, edit by replying, Reject with a reason), and a second decision changes nothing."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, text

from main import RunningApp
from storage.orm import audit_events, drafts
from tests.e2e import test_telegram as tg
from tests.e2e.test_telegram import (
    TELEGRAM_TEAM_CHAT,
    TELEGRAM_TEAM_TOKEN,
    button,
    count,
    customer_says,
    member,
    post_update,
    press,
    sent_to_customer,
    team_messages,
    wait_for_card,
)
from tests.support.console_client import wait_until
from tests.support.fake_telegram import FakeTelegram

# The Telegram suite's fixtures: the fake Bot API, and the app wired to it (webhook mode).
fake = tg.fake
tg_app = tg.tg_app

RETURNS = "northwind/faq/returns"
NEW = "Return unworn items within 60 days from your order page; the return label is free."


def kb_card(fake: FakeTelegram) -> dict | None:
    for message in team_messages(fake):
        if message.get("text", "").startswith("📚 Knowledge update proposed"):
            return fake.message(TELEGRAM_TEAM_TOKEN, TELEGRAM_TEAM_CHAT, message["message_id"])
    return None


def has_buttons(message: dict | None) -> bool:
    return message is not None and "reply_markup" in message


async def reply_to(http, app, fake, message: dict, words: str, who: str) -> dict:
    update = fake.user_message(
        TELEGRAM_TEAM_TOKEN,
        TELEGRAM_TEAM_CHAT,
        member(who),
        text=words,
        thread_id=message["message_thread_id"],
        reply_to=message["message_id"],
    )
    assert await post_update(http, app, update, team=True) == 200
    return update["message"]


def answer_to(fake: FakeTelegram, message: dict) -> dict:
    return next(
        m
        for m in team_messages(fake)
        if (m.get("reply_to_message") or {}).get("message_id") == message["message_id"]
    )


def last_alert(fake: FakeTelegram) -> dict:
    return fake.calls_of("answerCallbackQuery", TELEGRAM_TEAM_TOKEN)[-1].params


async def versions(app: RunningApp) -> list[tuple[int, str, str]]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            text("SELECT version, status, body FROM knowledge_articles WHERE id = :id"),
            {"id": RETURNS},
        )
        return sorted((r.version, r.status, r.body) for r in rows)


async def propose(http, app, fake) -> dict:
    """Ana edits the returns draft by replying to its card; the proposal card appears."""
    await post_update(http, app, customer_says(fake, "How do I return an item?"))
    await wait_until(lambda: tg.card(fake) is not None, within=30)  # a busy machine
    draft_card = await wait_for_card(fake)
    edit = await reply_to(http, app, fake, draft_card, NEW, "ana")
    prompt = answer_to(fake, edit)
    await press(http, app, fake, prompt, button(prompt, "s:"))
    await wait_until(lambda: sent_to_customer(fake) == [NEW])
    await wait_until(lambda: has_buttons(kb_card(fake)), within=30)
    card = kb_card(fake)
    assert card is not None
    return card


async def test_a_lead_accepts_the_card_once_and_the_next_draft_cites_the_new_version(
    tg_app, fake, http
):
    card = await propose(http, tg_app, fake)
    header = team_messages(fake)[0]
    assert card["reply_to_message"]["message_id"] == header["message_id"]  # in the chain
    assert f"Source: How do I return an item? ({RETURNS} v1)" in card["text"]
    assert f"+{NEW}" in card["text"] and f"version 2 of {RETURNS}" in card["text"]

    await press(http, tg_app, fake, card, button(card, "ka:"), who="ana")
    alert = last_alert(fake)
    assert alert["show_alert"] == "true" and alert["text"].startswith("Not allowed")
    assert await count(tg_app, audit_events, audit_events.c.kind == "denied") == 1

    accept = button(card, "ka:")
    await asyncio.gather(
        press(http, tg_app, fake, card, accept, who="sam"),
        press(http, tg_app, fake, card, accept, who="sam"),
    )
    answers = [c.params for c in fake.calls_of("answerCallbackQuery", TELEGRAM_TEAM_TOKEN)[-2:]]
    assert sorted(a.get("text", "") for a in answers)[0] == "Done"
    assert any("already decided" in a.get("text", "") for a in answers)
    await wait_until(lambda: not has_buttons(kb_card(fake)))
    assert "Accepted by Sam Lead" in kb_card(fake)["text"]
    assert [(v, s) for v, s, _ in await versions(tg_app)] == [(1, "retired"), (2, "active")]

    await post_update(http, tg_app, customer_says(fake, "Can I send back an item?"))
    await wait_until(lambda: len(sent_to_customer(fake)) == 1 and _drafts(fake) >= 2)
    async with tg_app.db.read_sessions() as session:
        newest = (
            await session.execute(
                select(drafts.c.citations).order_by(drafts.c.created_at.desc()).limit(1)
            )
        ).scalar_one()
    assert "60 days" in _latest_draft_text(fake)
    assert (newest[0]["article_id"], newest[0]["version"]) == (RETURNS, 2)


def _drafts(fake: FakeTelegram) -> int:
    return sum(m.get("text", "").startswith("📝") for m in team_messages(fake))


def _latest_draft_text(fake: FakeTelegram) -> str:
    return [m["text"] for m in team_messages(fake) if m.get("text", "").startswith("📝")][-1]


async def test_a_lead_edits_by_replying_then_a_stale_reject_is_told_it_is_decided(
    tg_app, fake, http
):
    card = await propose(http, tg_app, fake)
    reject = button(card, "kr:")  # the card's buttons go once it is decided
    await press(http, tg_app, fake, card, button(card, "ke:"), who="sam")
    assert "Reply to the proposal card" in last_alert(fake)["text"]
    lead_text = NEW + " Sale items are final."
    edit = await reply_to(http, tg_app, fake, card, lead_text, "sam")
    prompt = answer_to(fake, edit)
    assert len(await versions(tg_app)) == 1  # nothing changes before the confirm
    await press(http, tg_app, fake, prompt, button(prompt, "ks:"), who="sam")
    await wait_until(lambda: not has_buttons(kb_card(fake)))
    assert (await versions(tg_app))[-1] == (2, "active", lead_text)
    await press(http, tg_app, fake, card, reject, who="sam")
    assert "already decided: accepted by sam" in last_alert(fake)["text"]
    assert len(await versions(tg_app)) == 2


async def test_reject_with_a_reason_by_replying_only_a_lead_may(tg_app, fake, http):
    card = await propose(http, tg_app, fake)
    accept = button(card, "ka:")  # the card's buttons go once it is decided
    refused = await reply_to(http, tg_app, fake, card, "reject: nope", "ana")
    assert answer_to(fake, refused)["text"].startswith("⛔ Not allowed")
    await reply_to(http, tg_app, fake, card, "reject: only during the summer sale", "sam")
    await wait_until(lambda: not has_buttons(kb_card(fake)))
    shown = kb_card(fake)["text"]
    assert "Rejected by Sam Lead (only during the summer sale)" in shown
    await press(http, tg_app, fake, card, accept, who="sam")
    assert "already decided" in last_alert(fake)["text"]
    assert len(await versions(tg_app)) == 1
