"""The Slack parent message of a long conversation is updated with its summary."""

from __future__ import annotations

from tests.e2e.test_slack import STORE_CHANNEL, roots, slack, slack_app  # noqa: F401
from tests.support.console_client import wait_until
from tests.support.long_conversation import post_long_conversation


async def test_the_parent_message_shows_the_summary(slack_app, slack, http):  # noqa: F811
    await post_long_conversation(http, slack_app.base_url, "sl")

    def summary_shown() -> bool:
        parents = roots(slack, STORE_CHANNEL)
        return len(parents) == 1 and "*Summary:* Customer, 4 messages" in str(parents[0]["blocks"])

    await wait_until(summary_shown, within=25)
    assert slack.problems() == []
