"""SLA reminders and escalations where the team works: the Slack thread (real slack_sdk
against the fake Slack, every call checked against the spec) and the console; and the
timer runs on the scheduler leader only, with two instances on one PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from main import RunningApp
from storage.orm import audit_events
from tests.e2e.test_slack import STORE_CHANNEL, roots, slack, use_http_mode  # noqa: F401
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.custom_app import start_custom_app
from tests.support.fake_slack import FakeSlack
from tests.support.routing_sla import MovableClock, add_routing_and_sla
from tests.support.webhook_client import post_webhook, webhook_body

FAST_SCHEDULER = {"poll_seconds": 0.05, "sla_interval_seconds": 0.05}


def with_slack(slack_url: str) -> Any:
    def change(config: dict[str, Any]) -> None:
        add_routing_and_sla(config)
        config["scheduler"] = dict(FAST_SCHEDULER)
        config["slack"] = {"api_url": slack_url, "rate_per_second": 100, "burst": 100}
        config["stores"][0]["slack"] = {"channel": STORE_CHANNEL}
        slack_ids = {"ana": "UANA", "sam": "USAM"}
        for member in config["members"]:
            if member["id"] in slack_ids:
                member["slack_user_id"] = slack_ids[member["id"]]

    return change


def thread_texts(fake: FakeSlack) -> list[str]:
    parents = roots(fake, STORE_CHANNEL)
    if not parents:
        return []
    return [m["text"] for m in fake.thread(STORE_CHANNEL, parents[0]["ts"])]


def parent_shows(fake: FakeSlack, needle: str) -> bool:
    return any(needle in json.dumps(p.get("blocks")) for p in roots(fake, STORE_CHANNEL))


def any_text(fake: FakeSlack, *needles: str) -> bool:
    return any(all(n in text for n in needles) for text in thread_texts(fake))


async def test_reminder_and_escalation_show_in_the_slack_thread_and_the_console(
    tmp_path: Path,
    embedder,
    slack,  # noqa: F811 (the fixture from test_slack)
    database_url,
    monkeypatch,
    http,
) -> None:
    use_http_mode(monkeypatch)
    clock = MovableClock(datetime.now(UTC))
    app = await start_custom_app(
        tmp_path, database_url, embedder, with_slack(slack.url), clock=clock
    )
    try:
        status, _ = await post_webhook(
            http, app.base_url, webhook_body("m-1", "Do you ship to Norway?")
        )
        assert status == 202
        # Routed by the `english` rule: the thread header names the assignee.
        await wait_until(lambda: parent_shows(slack, "Assigned to ana"), within=15)
        assert not any_text(slack, "SLA reminder")

        clock.advance(31)
        await wait_until(lambda: any_text(slack, "SLA reminder", "first response"), within=10)
        clock.advance(100)
        await wait_until(lambda: any_text(slack, "Escalated", "SLA breached", "<@USAM>"))
        assert sum("SLA reminder" in t for t in thread_texts(slack)) == 1
        slack.assert_all_calls_valid()

        async with ConsoleClient(app, "sam") as lead:
            _, listing = await lead.get("/api/stores/northwind/conversations")
            [row] = listing["conversations"]
            _, detail = await lead.get(f"/api/conversations/{row['id']}")
        conversation = detail["conversation"]
        assert conversation["status"] == "escalated" and conversation["assignee_id"] == "ana"
        kinds = [e["kind"] for e in detail["events"]]
        assert kinds.count("sla_reminder") == 1 and kinds.count("sla_breached") == 1
        escalation = next(e for e in detail["events"] if e["kind"] == "escalated")
        assert escalation["payload"]["leads"] == ["sam"]
    finally:
        await app.stop()


async def test_only_the_scheduler_leader_runs_the_sla_timer(
    tmp_path: Path, embedder, postgres_url, http
) -> None:
    clock = MovableClock(datetime.now(UTC))

    def change(config: dict[str, Any]) -> None:
        add_routing_and_sla(config)
        config["scheduler"] = dict(FAST_SCHEDULER)

    apps: list[RunningApp] = []
    try:
        for name in ("a", "b"):
            apps.append(
                await start_custom_app(tmp_path / name, postgres_url, embedder, change, clock=clock)
            )
        await wait_until(lambda: any(a.digests and a.digests.is_leader for a in apps))
        await post_webhook(http, apps[1].base_url, webhook_body("m-1", "Where is my parcel?"))
        clock.advance(200)

        async def breaches() -> int:
            async with apps[0].db.read_sessions() as session:
                return int(
                    await session.scalar(
                        select(func.count()).where(audit_events.c.kind == "sla_breached")
                    )
                    or 0
                )

        await wait_until(lambda: breaches(), within=10)
        passes = [a.sla_timers.passes if a.sla_timers else 0 for a in apps]
        leaders = [bool(a.digests and a.digests.is_leader) for a in apps]
        assert leaders.count(True) == 1
        assert [p > 0 for p in passes] == leaders  # the follower never ran a pass
        assert await breaches() == 1
    finally:
        for app in apps:
            await app.stop()
