"""The customer profile in Slack, through the real bolt app and the fake Slack Web API: the
thread header speaks only of stores the whole channel may see, `whois` of the stores the
asking member may see, and `/storedesk link` decides a proposed link."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.domain.commands import Resolve
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from bot.workspaces.slack import blocks
from main import RunningApp, start_app
from tests.e2e import test_slack as slack_e2e
from tests.e2e.test_slack import CLIENT_CHANNEL, STORE_CHANNEL, roots, use_http_mode
from tests.e2e.test_slack_commands import responses, rows, storedesk
from tests.support.config import settings_dict
from tests.support.console_client import wait_until
from tests.support.profile_app import add_mail_accounts, mail, two_clients

slack = slack_e2e.slack
__all__ = ["responses", "slack"]


@pytest.fixture
async def profile_slack_app(
    tmp_path, callback_server, embedder, slack, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    use_http_mode(monkeypatch)
    raw = settings_dict(tmp_path / "data", callback_server.url, database_url=database_url)
    two_clients(raw)
    raw["slack"] = {
        "api_url": slack.url,
        "rate_per_second": 100,
        "burst": 100,
        "timeout_seconds": 1,
    }
    raw["stores"][0]["slack"] = {"channel": STORE_CHANNEL, "client_channel": CLIENT_CHANNEL}
    slack_ids = {"ana": "UANA", "sam": "USAM", "chen": "UCHEN"}
    for member in raw["members"]:
        if member["id"] in slack_ids:
            member["slack_user_id"] = slack_ids[member["id"]]
    running = await start_app(
        Settings.model_validate(raw),
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    await add_mail_accounts(running)
    yield running
    await running.stop()


def header_of(slack, conversation_id: str) -> str | None:
    """The History line of the parent message that carries this conversation's buttons."""
    for root in roots(slack, STORE_CHANNEL):
        dumped = json.dumps(root.get("blocks") or [], ensure_ascii=False)
        thread = [m for m in slack.messages(STORE_CHANNEL) if m.get("thread_ts") == root["ts"]]
        if conversation_id in json.dumps(thread) and "*History:*" in dumped:
            return dumped.split("*History:* ", 1)[1].split('"', 1)[0]
    return None


async def test_header_and_whois_show_only_what_the_reader_may_see(
    profile_slack_app, slack, http, responses
):
    app = profile_slack_app
    north = await mail(app, "nw-mail", "jo@example.com", "Jo", "Where is my parcel?")
    await mail(app, "dragon-mail", "jo@example.com", "Jo", "保修多久？")

    # Ana and Chen read the northwind channel and see northwind only: no dragon history.
    await wait_until(lambda: header_of(slack, north) is not None)
    assert header_of(slack, north) == "first contact"
    by_lead = await storedesk(http, app, responses, user="USAM", text=f"whois {north}")
    by_agent = await storedesk(http, app, responses, user="UANA", text=f"whois {north}")
    assert "1 earlier conversation" in by_lead and " dragon · open" in by_lead
    assert "first contact" in by_agent and "dragon" not in by_agent

    await app.core.bus.handle(Resolve(north, "sam"))
    again = await mail(app, "nw-mail", "jo@example.com", "Jo", "One more question")
    await wait_until(lambda: header_of(slack, again) is not None)
    assert str(header_of(slack, again)).startswith("1 earlier conversation")


async def test_a_proposed_link_is_shown_by_whois_and_decided_with_storedesk_link(
    profile_slack_app, slack, http, responses
):
    app = profile_slack_app
    north = await mail(app, "nw-mail", "jo@example.com", "Jo", "Where is my parcel?")
    await mail(app, "dragon-mail", "j.o+gifts@example.com", "Jo", "保修多久？")
    [(proposal_id,)] = await rows(app, "SELECT id FROM customer_link_proposals")

    shown = await storedesk(http, app, responses, user="USAM", text=f"whois {north}")
    assert f"link proposal `{proposal_id}`" in shown
    assert f"/storedesk link confirm {proposal_id}" in shown
    refused = await storedesk(http, app, responses, user="UANA", text=f"link confirm {proposal_id}")
    assert refused.startswith(blocks.not_allowed_text("")[:10])
    linked = await storedesk(http, app, responses, user="USAM", text=f"link confirm {proposal_id}")
    assert linked.startswith(":link: Linked")

    assert await rows(app, "SELECT status, decided_by FROM customer_link_proposals") == [
        ("confirmed", "sam")
    ]
    assert await rows(
        app, "SELECT actor FROM audit_events WHERE kind = 'customer_link_confirmed'"
    ) == [("sam",)]
    after = await storedesk(http, app, responses, user="USAM", text=f"whois {north}")
    assert "1 earlier conversation" in after and "link proposal" not in after
