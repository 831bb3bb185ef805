"""`/storedesk digest daily 09:00` end to end: the subscription is stored, the running app's
scheduler picks it up, and the digest lands in the store channel with its charts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.digest_config import SchedulerConfig
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from bot.workspaces.slack.digest_target import DIGEST_EVENT
from main import RunningApp, start_app
from tests.e2e import test_slack as slack_e2e
from tests.e2e.test_slack import STORE_CHANNEL, slack_settings, use_http_mode
from tests.e2e.test_slack_commands import responses, rows, storedesk
from tests.support.console_client import wait_until

slack = slack_e2e.slack
__all__ = ["responses"]


@pytest.fixture
async def slack_app(
    tmp_path, callback_server, embedder, slack, database_url, monkeypatch
) -> AsyncIterator[RunningApp]:
    use_http_mode(monkeypatch)
    settings = slack_settings(tmp_path, callback_server.url, slack.url, database_url)
    settings = settings.model_copy(update={"scheduler": SchedulerConfig(poll_seconds=0.1)})
    running = await start_app(
        settings,
        port=0,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    yield running
    await running.stop()


def digests_in(slack, channel: str) -> list[dict]:
    return [
        m
        for m in slack.messages(channel)
        if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT
    ]


async def test_a_lead_schedules_the_daily_digest_and_it_arrives_with_charts(
    slack_app, slack, http, responses
) -> None:
    refused = await storedesk(http, slack_app, responses, user="UANA", text="digest daily 09:00")
    assert refused.startswith(":no_entry:")
    assert "only a lead or admin of northwind" in refused
    typo = await storedesk(http, slack_app, responses, user="USAM", text="digest daily 9am")
    assert "time: '9am' is not HH:MM" in typo

    answer = await storedesk(http, slack_app, responses, user="USAM", text="digest daily 09:00")
    assert "daily digest of *Northwind Apparel* will be posted here daily at 09:00 (UTC)" in (
        answer
    )
    stored = await rows(slack_app, "SELECT id, target, cron, timezone FROM digest_subscriptions")
    assert stored == [
        (f"slack-{STORE_CHANNEL.lower()}-day", f"slack:{STORE_CHANNEL}", "0 9 * * *", "UTC")
    ]

    # The latest 09:00 has passed, so its digest is due now and is delivered once.
    await wait_until(lambda: len(digests_in(slack, STORE_CHANNEL)) == 1, within=20)
    (digest,) = digests_in(slack, STORE_CHANNEL)
    assert "*Daily digest · Northwind Apparel ·" in digest["text"]
    await wait_until(
        lambda: any(m.get("files") for m in slack.thread(STORE_CHANNEL, digest["ts"])),
        within=20,
    )
    (charts,) = [m for m in slack.thread(STORE_CHANNEL, digest["ts"]) if m.get("files")]
    assert len(charts["files"]) == 3
    slack.assert_all_calls_valid()

    async def recorded() -> bool:  # the run is recorded just after the upload completes
        return await rows(slack_app, "SELECT status, attempts FROM digest_runs") == [
            ("delivered", 1)
        ]

    await wait_until(recorded, within=10)
