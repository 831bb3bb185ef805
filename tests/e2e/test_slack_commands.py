"""`/storedesk` end to end: signed slash commands into the real bolt app, answers read from
the command's response_url, state read back from the database."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import text

from bot.domain import commands
from bot.workspaces.slack import blocks, slash_commands
from tests.e2e import test_slack as slack_e2e
from tests.e2e.test_slack import CLIENT_CHANNEL, STORE_CHANNEL, buttons, wait_for_card
from tests.support.console_client import wait_until
from tests.support.fake_callback import FakeCallbackServer
from tests.support.slack_requests import _signed
from tests.support.webhook_client import post_webhook, webhook_body

STORE_ID = "northwind"
# The Slack suite's fixtures: a fake Slack, and the app wired to it in HTTP mode.
slack = slack_e2e.slack
slack_app = slack_e2e.slack_app


@pytest.fixture
async def responses() -> AsyncIterator[FakeCallbackServer]:
    """Stands in for Slack's response_url endpoint: records what the command answered."""
    server = FakeCallbackServer()
    await server.start()
    yield server
    await server.stop()


async def post_slash_command(
    http: aiohttp.ClientSession,
    base_url: str,
    *,
    user: str,
    channel: str,
    text: str,
    response_url: str = "https://hooks.slack.com/commands/T1/1/unused",
) -> tuple[int, str]:
    """A slash command as Slack sends it to HTTP mode: signed, form-encoded."""
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "storedesk-test",
            "channel_id": channel,
            "channel_name": "store",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/storedesk",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"{time.time()}.trigger",
        }
    )
    headers = _signed(body, "application/x-www-form-urlencoded")
    async with http.post(f"{base_url}/slack/events", data=body, headers=headers) as response:
        return response.status, await response.text()


async def storedesk(
    http: aiohttp.ClientSession,
    running: Any,
    responses: FakeCallbackServer,
    *,
    user: str,
    text: str,
    channel: str = STORE_CHANNEL,
) -> str:
    """Run one command and return the ephemeral answer it sent."""
    before = len(responses.calls)
    status, _ = await post_slash_command(
        http,
        running.base_url,
        user=user,
        channel=channel,
        text=text,
        response_url=f"{responses.url}/commands/{before}",
    )
    assert status == 200
    await wait_until(lambda: len(responses.calls) > before)
    answer = responses.calls[before].json
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


async def open_conversation(
    http: aiohttp.ClientSession, running: Any, slack: Any, message_id: str = "m-1"
) -> tuple[str, str]:
    """A customer writes; returns (conversation id, thread parent ts in the store channel)."""
    await post_webhook(
        http, running.base_url, webhook_body(message_id, "How long does shipping take?")
    )
    card = await wait_for_card(slack)
    return buttons(card)[blocks.ESCALATE], card["thread_ts"]


def permalink(channel: str, ts: str) -> str:
    return f"<https://storedesk-test.slack.com/archives/{channel}/p{ts.replace('.', '')}>"


async def rows(running: Any, sql: str, **params: Any) -> list[Any]:
    async with running.db.read_sessions() as session:
        return list((await session.execute(text(sql), params)).all())


async def test_status_without_a_conversation_summarises_the_channels_store(
    slack_app, slack, http, responses
):
    conversation_id, _ = await open_conversation(http, slack_app, slack)
    answer = await storedesk(http, slack_app, responses, user="UANA", text="status")
    assert "Northwind Apparel" in answer
    assert "mode *draft*" in answer
    assert "Open: *1*" in answer
    assert "Escalated: *0*" in answer
    assert "Taken over: *0*" in answer
    assert "Oldest waiting for the team: Jo (open)" in answer
    assert conversation_id in answer


async def test_status_of_a_conversation_named_by_permalink_ts_or_id(
    slack_app, slack, http, responses
):
    conversation_id, parent_ts = await open_conversation(http, slack_app, slack)
    for reference in (permalink(STORE_CHANNEL, parent_ts), parent_ts, conversation_id):
        answer = await storedesk(
            http, slack_app, responses, user="UANA", text=f"status {reference}"
        )
        assert f"`{conversation_id}`" in answer
        assert "*Open*" in answer
        assert "Customer: Jo (Marketplace webhook)" in answer
        assert "Assignee: unassigned" in answer
        assert "Pending draft: draft for an agent" in answer


async def test_a_lead_assigns_and_status_shows_the_assignee(slack_app, slack, http, responses):
    conversation_id, parent_ts = await open_conversation(http, slack_app, slack)
    answer = await storedesk(
        http,
        slack_app,
        responses,
        user="USAM",
        text=f"assign <@UANA|ana> {permalink(STORE_CHANNEL, parent_ts)}",
    )
    assert answer.startswith(":bust_in_silhouette: Assigned")
    assert "Ana Agent" in answer
    status = await storedesk(
        http, slack_app, responses, user="UANA", text=f"status {conversation_id}"
    )
    assert "Assignee: Ana Agent" in status
    assert await rows(slack_app, "SELECT assignee_id FROM conversations") == [("ana",)]
    audited = await rows(
        slack_app,
        "SELECT actor, payload FROM audit_events WHERE kind = 'assigned' AND conversation_id = :c",
        c=conversation_id,
    )
    assert len(audited) == 1
    actor, payload = audited[0]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert actor == "sam"
    assert (payload["before"], payload["after"]) == (None, "ana")


async def test_assigning_someone_without_a_role_in_the_store_is_refused(
    slack_app, slack, http, responses
):
    conversation_id, _ = await open_conversation(http, slack_app, slack)
    for who, why in (
        ("li", "li has no role in store northwind"),  # an agent of another store
        ("<@USTRANGER|stranger>", "slack:USTRANGER has no role in store northwind"),
        ("<@UCHEN|chen>", "chen is a read-only client of store northwind"),
    ):
        answer = await storedesk(
            http, slack_app, responses, user="USAM", text=f"assign {who} {conversation_id}"
        )
        assert answer.startswith(":no_entry: You can't do that")
        assert why in answer
    assert await rows(slack_app, "SELECT assignee_id FROM conversations") == [(None,)]
    assert await rows(slack_app, "SELECT seq FROM audit_events WHERE kind = 'assigned'") == []


async def test_resolve_then_reopen(slack_app, slack, http, responses):
    conversation_id, parent_ts = await open_conversation(http, slack_app, slack)
    p_style = "p" + parent_ts.replace(".", "")
    answer = await storedesk(http, slack_app, responses, user="UANA", text=f"resolve {p_style}")
    assert answer == f":white_check_mark: Resolved conversation `{conversation_id}`."
    status = await storedesk(
        http, slack_app, responses, user="UANA", text=f"status {conversation_id}"
    )
    assert "*Resolved*" in status
    assert "Pending draft: none" in status

    answer = await storedesk(
        http, slack_app, responses, user="UANA", text=f"reopen {conversation_id}"
    )
    assert answer == f":leftwards_arrow_with_hook: Reopened conversation `{conversation_id}`."
    assert await rows(slack_app, "SELECT status, resolved_at FROM conversations") == [
        ("open", None)
    ]
    again = await storedesk(
        http, slack_app, responses, user="UANA", text=f"reopen {conversation_id}"
    )
    assert "conversation is open, not resolved" in again
    kinds = await rows(
        slack_app,
        "SELECT kind, actor FROM audit_events WHERE kind IN ('resolved', 'reopened') ORDER BY seq",
    )
    assert kinds == [("resolved", "ana"), ("reopened", "ana")]
    actions = await rows(
        slack_app, "SELECT action FROM review_actions WHERE action IN ('resolve', 'reopen')"
    )
    assert sorted(a for (a,) in actions) == ["reopen", "resolve"]


async def test_reopen_is_refused_while_the_customer_has_a_newer_open_conversation(
    slack_app, slack, http, responses
):
    first, _ = await open_conversation(http, slack_app, slack)
    await storedesk(http, slack_app, responses, user="UANA", text=f"resolve {first}")
    await post_webhook(http, slack_app.base_url, webhook_body("m-2", "Hello again"))
    await wait_until(
        lambda: rows(slack_app, "SELECT id FROM conversations WHERE status != 'resolved'")
    )
    answer = await storedesk(http, slack_app, responses, user="UANA", text=f"reopen {first}")
    assert "already has an open conversation" in answer
    assert await rows(slack_app, "SELECT status FROM conversations WHERE id = :c", c=first) == [
        ("resolved",)
    ]


async def test_mode_change_is_for_leads_and_is_persisted(slack_app, slack, http, responses):
    refused = await storedesk(http, slack_app, responses, user="UANA", text="mode auto")
    assert refused.startswith(":no_entry:")
    assert "role agent may not change_mode in store northwind" in refused
    denied = await rows(
        slack_app,
        "SELECT actor, store_id, payload FROM audit_events WHERE kind = 'denied'",
    )
    assert len(denied) == 1
    actor, store_id, payload = denied[0]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert (actor, store_id, payload["action"]) == ("ana", STORE_ID, "change_mode")
    assert await rows(slack_app, "SELECT mode FROM stores WHERE id = :s", s=STORE_ID) == [
        ("draft",)
    ]

    typo = await storedesk(http, slack_app, responses, user="USAM", text="mode turbo")
    assert "mode: must be one of pilot, draft, assist, auto" in typo

    accepted = await storedesk(http, slack_app, responses, user="USAM", text="mode Assist")
    assert "*Northwind Apparel* is now in *assist* mode" in accepted
    assert await rows(slack_app, "SELECT mode FROM stores WHERE id = :s", s=STORE_ID) == [
        ("assist",)
    ]
    changed = await rows(
        slack_app, "SELECT actor, payload FROM audit_events WHERE kind = 'mode_changed'"
    )
    assert len(changed) == 1
    actor, payload = changed[0]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert (actor, payload["before"], payload["after"]) == ("sam", "draft", "assist")
    summary = await storedesk(http, slack_app, responses, user="UANA", text="status")
    assert "mode *assist*" in summary


async def test_whois_shows_the_customer_profile(slack_app, slack, http, responses):
    first, parent_ts = await open_conversation(http, slack_app, slack)
    answer = await storedesk(http, slack_app, responses, user="UANA", text=f"whois {parent_ts}")
    assert answer.startswith("*Jo* · customer")
    assert "\nfirst contact\n" in answer
    assert "Channel of origin: Marketplace webhook (account nw-market)" in answer
    assert "First seen: <!date^" in answer

    await storedesk(http, slack_app, responses, user="UANA", text=f"resolve {first}")
    await post_webhook(http, slack_app.base_url, webhook_body("m-2", "Hello again"))
    await wait_until(
        lambda: rows(slack_app, "SELECT id FROM conversations WHERE status != 'resolved'")
    )
    again = await storedesk(http, slack_app, responses, user="UANA", text=f"whois {first}")
    assert "1 earlier conversation" in again


async def test_the_client_channel_refuses_every_command(
    slack_app, slack, http, responses, callback_server
):
    conversation_id, _ = await open_conversation(http, slack_app, slack)
    mirror = await wait_for_card(slack, CLIENT_CHANNEL)
    mirror_parent = mirror["thread_ts"]
    for user, command in (
        ("UCHEN", "status"),
        ("UCHEN", f"status {mirror_parent}"),
        ("USAM", f"resolve {mirror_parent}"),
        ("USAM", f"assign <@UANA|ana> {conversation_id}"),
        ("USAM", "mode auto"),
        ("UCHEN", "help"),
    ):
        answer = await storedesk(
            http, slack_app, responses, user=user, text=command, channel=CLIENT_CHANNEL
        )
        assert answer == blocks.not_allowed_text("this channel is read-only"), command
    denied = await rows(
        slack_app,
        "SELECT actor, conversation_id, payload FROM audit_events WHERE kind = 'denied' "
        "ORDER BY seq",
    )
    audited = [
        (actor, conv, (json.loads(p) if isinstance(p, str) else p)["action"])
        for actor, conv, p in denied
    ]
    assert audited == [
        ("chen", conversation_id, "view the status"),
        ("sam", conversation_id, "resolve"),
        ("sam", conversation_id, "assign"),
    ]
    state = await rows(slack_app, "SELECT status, assignee_id FROM conversations")
    assert state == [("open", None)]
    assert await rows(slack_app, "SELECT mode FROM stores WHERE id = :s", s=STORE_ID) == [
        ("draft",)
    ]
    await asyncio.sleep(0.2)
    assert callback_server.calls == []


async def test_outside_a_store_channel_and_for_help_the_answer_is_the_usage(
    slack_app, http, responses
):
    elsewhere = await storedesk(
        http, slack_app, responses, user="UANA", text="status", channel="CRANDOM"
    )
    assert elsewhere.startswith("Run `/storedesk` in a store channel.")
    for words in ("help", "", "frobnicate", "assign ana"):
        answer = await storedesk(http, slack_app, responses, user="UANA", text=words)
        assert answer == slash_commands.USAGE


async def test_an_unknown_conversation_or_a_stranger_is_refused(slack_app, slack, http, responses):
    conversation_id, _ = await open_conversation(http, slack_app, slack)
    missing = await storedesk(
        http, slack_app, responses, user="UANA", text="status 1699999999.000001"
    )
    assert "no conversation found for 1699999999.000001" in missing
    stranger = await storedesk(
        http, slack_app, responses, user="USTRANGER", text=f"status {conversation_id}"
    )
    assert "slack:USTRANGER has no role in store northwind" in stranger
    summary = await storedesk(http, slack_app, responses, user="USTRANGER", text="status")
    assert summary.startswith(":no_entry:")


async def test_release_ends_a_take_over_and_drafting_resumes(slack_app, slack, http, responses):
    conversation_id, _parent_ts = await open_conversation(http, slack_app, slack)
    refused = await storedesk(
        http, slack_app, responses, user="UANA", text=f"release {conversation_id}"
    )
    assert "not taken over" in refused
    await slack_app.core.bus.handle(commands.TakeOver(conversation_id, "ana"))
    await post_webhook(http, slack_app.base_url, webhook_body("m-2", "Which payment methods?"))
    await asyncio.sleep(0.5)
    assert await rows(slack_app, "SELECT count(*) FROM drafts WHERE status = 'pending'") == [
        (0,)
    ], "no drafts while a person has taken over"
    answer = await storedesk(
        http, slack_app, responses, user="UANA", text=f"release {conversation_id}"
    )
    assert answer.startswith(":robot_face: Released")
    await post_webhook(http, slack_app.base_url, webhook_body("m-3", "How do I return an item?"))

    async def drafted() -> bool:
        found = await rows(slack_app, "SELECT count(*) FROM drafts WHERE status = 'pending'")
        return found == [(1,)]

    await wait_until(drafted)
    assert await rows(
        slack_app, "SELECT kind, actor FROM audit_events WHERE kind = 'released'"
    ) == [("released", "ana")]
