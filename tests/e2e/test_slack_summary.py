"""The Slack parent message of a long conversation is updated with its summary."""

from __future__ import annotations

from tests.e2e.test_slack import STORE_CHANNEL, roots, slack, slack_app  # noqa: F401
from tests.support.console_client import wait_until
from tests.support.webhook_client import post_webhook, webhook_body

MESSAGES = [
    "Hello, my order #1042 has not arrived yet.",
    "The tracking for #1042 has not moved since Monday.",
    "It is a present, I need it before Friday.",
    "When will order #1042 arrive?",
]


async def test_the_parent_message_shows_the_summary(slack_app, slack, http):  # noqa: F811
    for number, text in enumerate(MESSAGES):
        await post_webhook(http, slack_app.base_url, webhook_body(f"sl-{number}", text))

    def summary_shown() -> bool:
        parents = roots(slack, STORE_CHANNEL)
        return len(parents) == 1 and "*Summary:* Customer, 4 messages" in str(parents[0]["blocks"])

    await wait_until(summary_shown, within=25)
    assert slack.problems() == []
