"""The permission matrix on Slack: the card's buttons pressed by every role, in the store's
channel, by members of this store and of another store, and by a stranger. Allowed presses
take effect; refused ones change nothing, answer with an ephemeral note and are audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from bot.workspaces.slack import blocks
from main import RunningApp, start_app
from tests.e2e.test_slack import STORE_CHANNEL, buttons, slack, use_http_mode
from tests.integration.test_audit_chain import wait_for_idle_outbox
from tests.support.config import settings_dict
from tests.support.console_client import wait_until
from tests.support.slack_requests import button_press, post_interaction
from tests.support.webhook_client import post_webhook, webhook_body

__all__ = ["slack"]  # the fake Slack fixture, shared with the main Slack tests

SLACK_IDS = {"ana": "UANA", "sam": "USAM", "chen": "UCHEN", "li": "ULI"}
PEOPLE = {  # who presses → (Slack user, audited actor, may act in northwind)
    "agent": ("UANA", "ana", True),
    "lead": ("USAM", "sam", True),
    "client": ("UCHEN", "chen", False),
    "agent of another store": ("ULI", "li", False),
    "stranger": ("USTRANGER", "slack:USTRANGER", False),
}
ACTIONS = (blocks.APPROVE, blocks.TAKE_OVER)


@pytest.fixture
async def matrix_slack_app(
    tmp_path, callback_server, embedder, slack, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    use_http_mode(monkeypatch)
    raw = settings_dict(tmp_path / "data", callback_server.url, database_url=database_url)
    raw["slack"] = {"api_url": slack.url, "rate_per_second": 100, "burst": 100}
    raw["stores"][0]["slack"] = {"channel": STORE_CHANNEL}
    for member in raw["members"]:
        member["slack_user_id"] = SLACK_IDS[member["id"]]
    running = await start_app(
        Settings.model_validate(raw),
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    yield running
    await running.stop()


async def scalar(app: RunningApp, sql: str, **params: object) -> object:
    async with app.db.read_sessions() as session:
        return (await session.execute(text(sql), params)).scalar()


@pytest.mark.parametrize("person", list(PEOPLE))
async def test_card_buttons_by_every_role(matrix_slack_app, slack, http, callback_server, person):
    app = matrix_slack_app
    user, actor, allowed = PEOPLE[person]
    for n, action in enumerate(ACTIONS):
        external = f"m-{person}-{n}".replace(" ", "-")
        cards_before = len(draft_cards(slack))
        await post_webhook(
            http, app.base_url, webhook_body(external, "Which payment methods do you accept?")
        )
        await wait_until(
            lambda before=cards_before: (
                len(draft_cards(slack)) > before and bool(buttons(draft_cards(slack)[-1]))
            ),
            within=15,
        )
        card = draft_cards(slack)[-1]
        conversation_id = await scalar(
            app, "SELECT conversation_id FROM messages WHERE external_id = :e", e=external
        )
        sent_before = len(callback_server.calls)
        denied_before = await scalar(
            app, "SELECT count(*) FROM audit_events WHERE kind = 'denied' AND actor = :a", a=actor
        )
        press = button_press(
            user=user,
            channel=STORE_CHANNEL,
            action_id=action,
            value=buttons(card)[action],
            message_ts=card["ts"],
            thread_ts=card["thread_ts"],
        )
        notes_before = len(slack.ephemeral_messages)
        status, _ = await post_interaction(http, app.base_url, press)
        assert status == 200
        if allowed and action == blocks.APPROVE:
            await wait_until(lambda before=sent_before: len(callback_server.calls) == before + 1)
        elif allowed:
            await wait_until(lambda c=conversation_id: taken_over(app, c), within=10)
        else:
            await wait_until(
                lambda before=denied_before: denied_count(app, actor, before), within=10
            )
            # The note is the refusal's last step: until it is posted the press is in flight.
            await wait_until(lambda n=notes_before: len(slack.ephemeral_messages) > n, within=10)
            assert len(callback_server.calls) == sent_before
            assert await scalar(
                app, "SELECT status FROM conversations WHERE id = :c", c=conversation_id
            ) not in ("taken_over", "waiting")
    if not allowed:
        assert len(slack.ephemeral_messages) >= len(ACTIONS)
    await wait_for_idle_outbox(app)  # the card updates each press queued are posted, not cut off
    slack.assert_all_calls_valid()


def draft_cards(slack) -> list[dict]:
    return [m for m in slack.messages(STORE_CHANNEL) if _key(m).startswith("draft:")]


def _key(message: dict) -> str:
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


async def taken_over(app: RunningApp, conversation_id: object) -> bool:
    found = await scalar(app, "SELECT status FROM conversations WHERE id = :c", c=conversation_id)
    return found == "taken_over"


async def denied_count(app: RunningApp, actor: str, before: object) -> bool:
    now = await scalar(
        app, "SELECT count(*) FROM audit_events WHERE kind = 'denied' AND actor = :a", a=actor
    )
    return int(now or 0) > int(before or 0)  # type: ignore[call-overload]
