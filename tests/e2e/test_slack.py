"""Slack end to end: real slack-bolt and slack_sdk against a fake Slack on 127.0.0.1.

Every call Storedesk makes is checked against the Slack Web API OpenAPI spec.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from bot.workspaces.slack import blocks
from main import RunningApp, start_app
from tests.support.config import settings_dict
from tests.support.console_client import wait_until
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import (
    SIGNING_SECRET,
    button_press,
    post_event,
    post_interaction,
    view_submission,
)
from tests.support.webhook_client import post_webhook, webhook_body

STORE_CHANNEL, CLIENT_CHANNEL = "CNORTH", "CCLIENT"


def use_http_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of an HTTP-mode install: bot token and signing secret, no app token."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


def slack_settings(tmp_path, callback_url: str, slack_url: str, database_url: str) -> Settings:
    raw = settings_dict(tmp_path / "data", callback_url, database_url=database_url)
    raw["slack"] = {
        "api_url": slack_url,
        "rate_per_second": 100,
        "burst": 100,
        "timeout_seconds": 1,
    }
    raw["stores"][0]["slack"] = {"channel": STORE_CHANNEL, "client_channel": CLIENT_CHANNEL}
    slack_ids = {"ana": "UANA", "sam": "USAM", "chen": "UCHEN"}
    for member in raw["members"]:
        if member["id"] in slack_ids:
            member["slack_user_id"] = slack_ids[member["id"]]
    return Settings.model_validate(raw)


@pytest.fixture
async def slack_app(
    tmp_path, callback_server, embedder, slack, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    use_http_mode(monkeypatch)
    running = await start_app(
        slack_settings(tmp_path, callback_server.url, slack.url, database_url),
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    yield running
    await running.stop()


def roots(slack: FakeSlack, channel: str) -> list[dict]:
    return [m for m in slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]


def card_in(slack: FakeSlack, channel: str) -> dict | None:
    for message in slack.messages(channel):
        key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        if key.startswith("draft:"):
            return message
    return None


def buttons(message: dict) -> dict[str, str]:
    found = {}
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found[element["action_id"]] = element["value"]
    return found


async def wait_for_card(slack: FakeSlack, channel: str = STORE_CHANNEL) -> dict:
    await wait_until(lambda: card_in(slack, channel) is not None and buttons_ready(slack, channel))
    card = card_in(slack, channel)
    assert card is not None
    return card


def buttons_ready(slack: FakeSlack, channel: str) -> bool:
    card = card_in(slack, channel)
    return card is not None and (channel == CLIENT_CHANNEL or bool(buttons(card)))


async def test_message_opens_a_thread_with_a_draft_card_and_approval_sends_once(
    slack_app, slack, http, callback_server
):
    await post_webhook(
        http, slack_app.base_url, webhook_body("m-1", "How long does shipping take?")
    )
    card = await wait_for_card(slack)
    parents = roots(slack, STORE_CHANNEL)
    assert len(parents) == 1, "one parent per conversation, nothing else at the channel root"
    parent_ts = parents[0]["ts"]
    assert card["thread_ts"] == parent_ts
    thread_texts = [m["text"] for m in slack.thread(STORE_CHANNEL, parent_ts)]
    assert any("How long does shipping take?" in t for t in thread_texts)
    actions = buttons(card)
    assert set(actions) == {blocks.APPROVE, blocks.EDIT, blocks.ESCALATE, blocks.TAKE_OVER}

    press = button_press(
        user="USAM",
        channel=STORE_CHANNEL,
        action_id=blocks.APPROVE,
        value=actions[blocks.APPROVE],
        message_ts=card["ts"],
        thread_ts=parent_ts,
    )
    status, _ = await post_interaction(http, slack_app.base_url, press)
    assert status == 200
    await wait_until(lambda: len(callback_server.calls) == 1)
    # The card is updated in place: who approved, and no buttons any more.
    await wait_until(lambda: not buttons(card_in(slack, STORE_CHANNEL) or {}))
    assert "approved" in card_in(slack, STORE_CHANNEL)["text"].lower()
    # A double press changes nothing.
    status, _ = await post_interaction(http, slack_app.base_url, press)
    await asyncio.sleep(0.3)
    assert len(callback_server.calls) == 1
    slack.assert_all_calls_valid()


async def test_client_mirror_has_no_buttons_and_refuses_presses(
    slack_app, slack, http, callback_server
):
    await post_webhook(
        http, slack_app.base_url, webhook_body("m-2", "Which payment methods do you accept?")
    )
    await wait_for_card(slack)
    mirror_card = await wait_for_card(slack, CLIENT_CHANNEL)
    assert buttons(mirror_card) == {}
    staff_card = card_in(slack, STORE_CHANNEL)
    forged = button_press(
        user="USAM",
        channel=CLIENT_CHANNEL,
        action_id=blocks.APPROVE,
        value=buttons(staff_card)[blocks.APPROVE],
        message_ts=mirror_card["ts"],
        thread_ts=mirror_card["thread_ts"],
    )
    status, _ = await post_interaction(http, slack_app.base_url, forged)
    assert status == 200
    await wait_until(lambda: len(slack.ephemeral_messages) == 1)
    await asyncio.sleep(0.2)
    assert callback_server.calls == []
    async with slack_app.db.read_sessions() as session:
        from sqlalchemy import text

        denied = (
            (await session.execute(text("SELECT actor FROM audit_events WHERE kind = 'denied'")))
            .scalars()
            .all()
        )
    assert denied == ["sam"]


async def test_unknown_slack_user_is_refused_with_an_ephemeral_note(
    slack_app, slack, http, callback_server
):
    await post_webhook(
        http, slack_app.base_url, webhook_body("m-3", "Which payment methods do you accept?")
    )
    card = await wait_for_card(slack)
    press = button_press(
        user="USTRANGER",
        channel=STORE_CHANNEL,
        action_id=blocks.APPROVE,
        value=buttons(card)[blocks.APPROVE],
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
    )
    await post_interaction(http, slack_app.base_url, press)
    await wait_until(lambda: len(slack.ephemeral_messages) == 1)
    assert callback_server.calls == []


async def test_edit_modal_sends_the_edited_text_and_keeps_both_versions(
    slack_app, slack, http, callback_server
):
    await post_webhook(
        http, slack_app.base_url, webhook_body("m-4", "How long does shipping take?")
    )
    card = await wait_for_card(slack)
    draft_id = buttons(card)[blocks.EDIT]
    press = button_press(
        user="UANA",
        channel=STORE_CHANNEL,
        action_id=blocks.EDIT,
        value=draft_id,
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
    )
    await post_interaction(http, slack_app.base_url, press)
    await wait_until(lambda: len(slack.opened_views) == 1)
    modal = slack.opened_views[0]["view"]
    assert modal["private_metadata"] == draft_id
    submit = view_submission(
        user="UANA",
        callback_id=blocks.EDIT_SUBMIT,
        private_metadata=draft_id,
        values={
            blocks.EDIT_INPUT_BLOCK: {
                blocks.EDIT_INPUT_ACTION: {"type": "plain_text_input", "value": "Ships in 2 days."}
            }
        },
    )
    status, body = await post_interaction(http, slack_app.base_url, submit)
    assert status == 200, body
    await wait_until(lambda: len(callback_server.calls) == 1)
    assert callback_server.calls[0].json["text"] == "Ships in 2 days."
    async with slack_app.db.read_sessions() as session:
        from sqlalchemy import text

        row = (
            await session.execute(
                text("SELECT before, after, actor_id FROM review_actions WHERE action = 'edit'")
            )
        ).one()
    assert "2-4 business days" in row.before
    assert row.after == "Ships in 2 days."
    assert row.actor_id == "ana"


async def test_thread_reply_goes_to_the_customer_and_notes_stay_internal(
    slack_app, slack, http, callback_server
):
    await post_webhook(http, slack_app.base_url, webhook_body("m-5", "Tell me a joke about cats"))
    card = await wait_for_card(slack)
    parent_ts = card["thread_ts"]
    note_ts = slack.add_message(
        STORE_CHANNEL, "note: regular, be nice", user="UANA", thread_ts=parent_ts
    )
    note = {
        "type": "message",
        "channel": STORE_CHANNEL,
        "user": "UANA",
        "text": "note: regular, be nice",
        "ts": note_ts,
        "thread_ts": parent_ts,
    }
    assert (await post_event(http, slack_app.base_url, note, "EvNOTE"))[0] == 200
    reply_ts = slack.add_message(
        STORE_CHANNEL, "We only sell clothes, sorry!", user="UANA", thread_ts=parent_ts
    )
    reply = {
        "type": "message",
        "channel": STORE_CHANNEL,
        "user": "UANA",
        "text": "We only sell clothes, sorry!",
        "ts": reply_ts,
        "thread_ts": parent_ts,
    }
    assert (await post_event(http, slack_app.base_url, reply, "EvREPLY"))[0] == 200
    # Slack retries the same delivery: nothing happens twice.
    assert (await post_event(http, slack_app.base_url, reply, "EvREPLY", retry_num=1))[0] == 200
    await wait_until(lambda: len(callback_server.calls) == 1)
    await asyncio.sleep(0.4)
    assert [c.json["text"] for c in callback_server.calls] == ["We only sell clothes, sorry!"]
    # The member's own messages are not posted into the thread a second time.
    texts = [m["text"] for m in slack.thread(STORE_CHANNEL, parent_ts)]
    assert sum("We only sell clothes" in t for t in texts) == 1
    assert sum("regular, be nice" in t for t in texts) == 1


async def test_rate_limit_storm_delivers_everything_once_and_in_order(slack_app, slack, http):
    slack.fail_with_429("chat.postMessage", times=3, retry_after=1)
    await post_webhook(http, slack_app.base_url, webhook_body("m-6", "How do I return an item?"))
    await wait_for_card(slack)
    keys = [
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
        for m in slack.messages(STORE_CHANNEL)
    ]
    assert len(keys) == len(set(keys)), "no item posted twice"
    assert keys[0] == "parent" and keys[-1].startswith("draft:")
    assert len(slack.calls_to("chat.postMessage")) >= 3 + len(keys)


async def test_a_deleted_parent_gets_a_fresh_parent_linking_the_old_one(slack_app, slack, http):
    await post_webhook(
        http, slack_app.base_url, webhook_body("m-7", "How do I return an item?", customer_id="c-7")
    )
    card = await wait_for_card(slack)
    old_parent = card["thread_ts"]
    slack.delete_message(STORE_CHANNEL, old_parent)
    await post_webhook(
        http,
        slack_app.base_url,
        webhook_body("m-8", "And how long does shipping take?", customer_id="c-7"),
    )
    await wait_until(
        lambda: (
            len(roots(slack, STORE_CHANNEL)) == 1
            and roots(slack, STORE_CHANNEL)[0]["ts"] != old_parent
        )
    )
    new_parent = roots(slack, STORE_CHANNEL)[0]
    assert "lost" in new_parent["text"].lower() or any(
        "lost" in str(b).lower() for b in new_parent["blocks"]
    )
    await wait_until(
        lambda: any("shipping" in m["text"] for m in slack.thread(STORE_CHANNEL, new_parent["ts"]))
    )


async def test_an_unsure_post_is_reconciled_not_repeated(slack_app, slack, http):
    slack.hang_once("chat.postMessage", 2, apply_first=True)  # longer than the client timeout
    await post_webhook(http, slack_app.base_url, webhook_body("m-9", "How do I return an item?"))
    await wait_for_card(slack)
    await asyncio.sleep(0.3)
    keys = [
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
        for m in slack.messages(STORE_CHANNEL)
    ]
    assert keys.count("parent") == 1


async def test_a_request_with_a_bad_signature_is_refused(slack_app, http):
    press = button_press(
        user="USAM",
        channel=STORE_CHANNEL,
        action_id=blocks.APPROVE,
        value="x",
        message_ts="1.1",
        thread_ts="1.0",
    )
    status, _ = await post_interaction(http, slack_app.base_url, press, secret="not-the-secret")
    assert status == 401


def test_http_mode_without_a_signing_secret_fails_at_start(tmp_path, monkeypatch):
    from bot.config import ConfigError, load_settings

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    config = tmp_path / "storedesk.toml"
    config.write_text(
        '[slack]\n[[stores]]\nid = "s"\nname = "S"\nbrand = "B"\nlanguages = ["en"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings(config)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")  # Socket Mode needs no secret
    assert load_settings(config).slack is not None


async def test_escalate_and_take_over_from_the_card(slack_app, slack, http):
    await post_webhook(http, slack_app.base_url, webhook_body("m-10", "How do I return an item?"))
    card = await wait_for_card(slack)
    conversation_id = buttons(card)[blocks.ESCALATE]
    press = button_press(
        user="UANA",
        channel=STORE_CHANNEL,
        action_id=blocks.ESCALATE,
        value=conversation_id,
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
    )
    await post_interaction(http, slack_app.base_url, press)
    await wait_until(lambda: len(slack.opened_views) == 1)
    submit = view_submission(
        user="UANA",
        callback_id=blocks.ESCALATE_SUBMIT,
        private_metadata=conversation_id,
        values={
            blocks.REASON_INPUT_BLOCK: {
                blocks.REASON_INPUT_ACTION: {"type": "plain_text_input", "value": "VIP customer"}
            }
        },
    )
    assert (await post_interaction(http, slack_app.base_url, submit))[0] == 200
    await wait_until(
        lambda: any(
            "VIP customer" in m["text"] for m in slack.thread(STORE_CHANNEL, card["thread_ts"])
        )
    )
    take = button_press(
        user="UANA",
        channel=STORE_CHANNEL,
        action_id=blocks.TAKE_OVER,
        value=conversation_id,
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
    )
    await post_interaction(http, slack_app.base_url, take)
    await wait_until(lambda: not buttons(card_in(slack, STORE_CHANNEL) or {}))
    async with slack_app.db.read_sessions() as session:
        from sqlalchemy import text

        row = (
            await session.execute(
                text("SELECT status, assignee_id, review_required FROM conversations")
            )
        ).one()
    assert (row.status, row.assignee_id, bool(row.review_required)) == ("taken_over", "ana", True)


async def test_thread_mapping_survives_a_restart(
    tmp_path, callback_server, embedder, slack, database_url, monkeypatch, http
):
    use_http_mode(monkeypatch)
    settings = slack_settings(tmp_path, callback_server.url, slack.url, database_url)
    first = await start_app(settings, port=0, embedder=embedder)
    try:
        await post_webhook(
            http, first.base_url, webhook_body("r-1", "How do I return an item?", customer_id="c-r")
        )
        card = await wait_for_card(slack)
    finally:
        await first.stop()
    second = await start_app(settings, port=0, embedder=embedder)
    try:
        await post_webhook(
            http,
            second.base_url,
            webhook_body("r-2", "How long does shipping take?", customer_id="c-r"),
        )
        await wait_until(
            lambda: any(
                "shipping" in m["text"] for m in slack.thread(STORE_CHANNEL, card["thread_ts"])
            )
        )
        assert len(roots(slack, STORE_CHANNEL)) == 1
    finally:
        await second.stop()


async def test_editing_a_sent_thread_reply_says_it_could_not_reach_the_customer(
    slack_app, slack, http, callback_server
):
    await post_webhook(http, slack_app.base_url, webhook_body("m-11", "Tell me a joke about cats"))
    card = await wait_for_card(slack)
    parent_ts = card["thread_ts"]
    reply_ts = slack.add_message(STORE_CHANNEL, "Sorry, no jokes", user="UANA", thread_ts=parent_ts)
    reply = {
        "type": "message",
        "channel": STORE_CHANNEL,
        "user": "UANA",
        "text": "Sorry, no jokes",
        "ts": reply_ts,
        "thread_ts": parent_ts,
    }
    await post_event(http, slack_app.base_url, reply, "EvR11")
    await wait_until(lambda: len(callback_server.calls) == 1)
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": STORE_CHANNEL,
        "ts": "1800000000.000001",
        "message": {
            "type": "message",
            "user": "UANA",
            "text": "Sorry, no jokes today",
            "ts": reply_ts,
            "thread_ts": parent_ts,
        },
        "previous_message": {
            "type": "message",
            "user": "UANA",
            "text": "Sorry, no jokes",
            "ts": reply_ts,
        },
    }
    await post_event(http, slack_app.base_url, edited, "EvE11")
    await wait_until(
        lambda: any(
            "could not reach the customer" in m["text"]
            for m in slack.thread(STORE_CHANNEL, parent_ts)
        )
    )
    assert len(callback_server.calls) == 1


async def test_socket_mode_receives_presses_over_the_websocket(
    tmp_path, callback_server, embedder, slack, monkeypatch, http
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    settings = slack_settings(
        tmp_path, callback_server.url, slack.url, f"sqlite+aiosqlite:///{tmp_path / 'sm.db'}"
    )
    running = await start_app(settings, port=0, embedder=embedder)
    try:
        async with http.post(f"{running.base_url}/slack/actions", data="x") as response:
            assert response.status == 404, "no HTTP endpoints in Socket Mode"
        await post_webhook(
            http, running.base_url, webhook_body("sm-1", "How long does shipping take?")
        )
        card = await wait_for_card(slack)
        press = button_press(
            user="USAM",
            channel=STORE_CHANNEL,
            action_id=blocks.APPROVE,
            value=buttons(card)[blocks.APPROVE],
            message_ts=card["ts"],
            thread_ts=card["thread_ts"],
        )
        ack = await slack.send_envelope("interactive", press)
        assert ack["envelope_id"]
        await wait_until(lambda: len(callback_server.calls) == 1)
    finally:
        await running.stop()


async def test_a_member_is_recognised_by_the_email_of_their_slack_profile(
    tmp_path, callback_server, embedder, slack, monkeypatch, http
):
    use_http_mode(monkeypatch)
    raw = settings_dict(
        tmp_path / "data",
        callback_server.url,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'email.db'}",
    )
    raw["slack"] = {"api_url": slack.url, "rate_per_second": 100, "burst": 100}
    raw["stores"][0]["slack"] = {"channel": STORE_CHANNEL}
    raw["members"][0]["email"] = "Ana@Example.com"
    slack.add_user("UANA2", name="ana", profile={"email": "ana@example.com"})
    running = await start_app(Settings.model_validate(raw), port=0, embedder=embedder)
    try:
        await post_webhook(
            http, running.base_url, webhook_body("e-1", "How long does shipping take?")
        )
        card = await wait_for_card(slack)
        press = button_press(
            user="UANA2",
            channel=STORE_CHANNEL,
            action_id=blocks.APPROVE,
            value=buttons(card)[blocks.APPROVE],
            message_ts=card["ts"],
            thread_ts=card["thread_ts"],
        )
        await post_interaction(http, running.base_url, press)
        await wait_until(lambda: len(callback_server.calls) == 1)
        assert slack.ephemeral_messages == []
    finally:
        await running.stop()
