"""Forgetting a customer and the retention job: personal data gone everywhere, the audit
chain still verifies, any other edit still breaks it. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

import main
from bot.cli_customer import forget
from bot.domain.commands import DecideCustomerLink, EditAndSendDraft, Reopen, Resolve
from main import RunningApp
from scheduler.maintenance import MaintenanceRunner
from scheduler.retention import retention_job, run_retention
from storage.audit import GENESIS, event_body, event_hash, verify_chains
from storage.evidence import conversation_evidence
from storage.orm import audit_events, audit_heads
from tests.integration.test_audit_chain import to_toml, wait_for_idle_outbox
from tests.support.config import settings_dict
from tests.support.custom_app import start_custom_app
from tests.support.profile_app import add_mail_accounts, mail, two_clients

SECRET = "5 Elm Street"
ADDRESS = "jo@example.com"
# Every place a customer's words or address could rest.
DUMP = [
    "SELECT text FROM messages",
    "SELECT attachments FROM messages",
    "SELECT text, note FROM drafts",
    "SELECT before, after, reason FROM review_actions",
    "SELECT payload FROM outbox",
    "SELECT payload FROM audit_events",
    "SELECT external_id FROM customer_identities",
    "SELECT display_name FROM customers",
    "SELECT value FROM customer_keys",
    "SELECT summary FROM conversations",
]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def profile_app(tmp_path, database_url, embedder) -> AsyncIterator[RunningApp]:
    app = await start_custom_app(tmp_path, database_url, embedder, two_clients)
    await add_mail_accounts(app)
    yield app
    await app.stop()


async def dump(app: RunningApp) -> str:
    found = []
    async with app.db.read_sessions() as session:
        for sql in DUMP:
            found += [json.dumps(list(r), default=str) for r in await session.execute(text(sql))]
    return "\n".join(found)


async def verify(app: RunningApp):
    async with app.db.read_sessions() as session:
        return (await verify_chains(session))[1]


async def execute(app: RunningApp, sql: str, **params) -> None:
    async with app.db.writer.begin() as connection:
        await connection.execute(text(sql), params)


async def jo_with_a_sent_reply(app: RunningApp) -> tuple[str, str]:
    """Jo mails two stores of one client; an agent edits and sends a reply quoting her."""
    north = await mail(app, "nw-mail", ADDRESS, "Jo Doe", f"Please ship to {SECRET}, order 1001")
    dragon = await mail(app, "dragon-mail", ADDRESS, "Jo Doe", f"I moved to {SECRET}")
    await wait_for_idle_outbox(app, within=30.0)
    async with app.db.read_sessions() as session:
        draft = (
            await session.execute(
                text("SELECT id FROM drafts WHERE conversation_id = :c"), {"c": north}
            )
        ).scalar_one()
    await app.core.bus.handle(EditAndSendDraft(draft, "ana", f"We ship to {SECRET} today."))
    return north, dragon


async def test_forget_by_email_erases_everything_and_the_chain_still_verifies(
    profile_app, tmp_path: Path, capsys
):
    other = await mail(profile_app, "rival-mail", ADDRESS, "Jo Doe", f"Rival: {SECRET}")
    await wait_for_idle_outbox(profile_app, within=30.0)
    other_client = await dump(profile_app)  # the same address at another client: kept
    north, dragon = await jo_with_a_sent_reply(profile_app)
    assert (await dump(profile_app)).count(SECRET) > other_client.count(SECRET)

    raw = settings_dict(tmp_path / "data", "http://127.0.0.1:9")
    two_clients(raw)
    raw["storage"]["database_url"] = profile_app.settings.storage.database_url
    config = tmp_path / "forget.toml"
    config.write_text(to_toml(raw) + "\n", encoding="utf-8")
    argv = ["--config", str(config), "customer", "forget", "--email", ADDRESS, "--client", "acme"]
    assert await asyncio.to_thread(main.cli, argv) == 0
    printed = capsys.readouterr().out
    assert "personal data erased" in printed and "messages: 3" in printed

    async with profile_app.db.read_sessions() as session:
        for conversation in (north, dragon):
            evidence = await conversation_evidence(session, conversation)
            assert evidence is not None and evidence["chain_ok"]
            assert evidence["conversation"]["customer"]["display_name"] == "[erased]"
            assert {m["text"] for m in evidence["messages"]} == {"[erased]"}
            assert SECRET not in json.dumps(evidence, ensure_ascii=False)
        assert (await conversation_evidence(session, other)) is not None
    after = await dump(profile_app)
    assert after.count(SECRET) == other_client.count(SECRET)
    assert after.count(ADDRESS) == other_client.count(ADDRESS)
    assert await verify(profile_app) is None
    forgotten = await execute_rows(
        profile_app, "SELECT store_id, payload FROM audit_events WHERE kind = 'customer_forgotten'"
    )
    assert sorted(r[0] for r in forgotten) == ["dragon", "northwind"]
    assert all(SECRET not in str(r[1]) and ADDRESS not in str(r[1]) for r in forgotten)

    # Erasing is the only edit the chain forgives.
    sql = "SELECT seq, payload FROM audit_events WHERE kind = 'received' AND conversation_id = :c"
    received = (await execute_rows(profile_app, sql, c=north))[0]
    payload = received[1] if isinstance(received[1], dict) else json.loads(received[1])
    await execute(
        profile_app,
        "UPDATE audit_events SET payload = :p WHERE seq = :s",
        p=json.dumps({**payload, "message_id": "forged"}),
        s=received[0],
    )
    assert (await verify(profile_app)).seq == received[0]


async def erased_count(app: RunningApp) -> int:
    rows = await execute_rows(
        app, "SELECT count(*) FROM audit_events WHERE kind = 'retention_erased'"
    )
    return int(rows[0][0])


async def execute_rows(app: RunningApp, sql: str, **params) -> list:
    async with app.db.read_sessions() as session:
        return list(await session.execute(text(sql), params))


async def test_retention_erases_conversations_resolved_longer_ago_than_the_period(profile_app):
    north, dragon = await jo_with_a_sent_reply(profile_app)
    await profile_app.core.bus.handle(Resolve(north, "sam"))
    now = datetime.now(UTC)

    early = await run_retention(profile_app.db, Clock(now + timedelta(days=29)), {"northwind": 30})
    assert early == {}
    done = await run_retention(profile_app.db, Clock(now + timedelta(days=31)), {"northwind": 30})

    assert done["northwind"].conversations == 1
    texts = await execute_rows(
        profile_app, "SELECT conversation_id, text FROM messages ORDER BY created_at"
    )
    assert {t for c, t in texts if c == north} == {"[erased]"}
    assert any(SECRET in t for c, t in texts if c == dragon)  # still open: kept
    assert await verify(profile_app) is None
    again = await run_retention(profile_app.db, Clock(now + timedelta(days=60)), {"northwind": 30})
    assert again == {}  # idempotent
    assert (
        await execute_rows(
            profile_app, "SELECT count(*) FROM audit_events WHERE kind = 'retention_erased'"
        )
    )[0][0] == 1


async def test_the_scheduled_retention_job_runs_at_most_once_an_hour(profile_app):
    north, _ = await jo_with_a_sent_reply(profile_app)
    await profile_app.core.bus.handle(Resolve(north, "sam"))
    stores = [
        s.model_copy(update={"retention_days": 1}) if s.id == "northwind" else s
        for s in profile_app.settings.stores
    ]
    settings = profile_app.settings.model_copy(update={"stores": stores})
    clock = Clock(datetime.now(UTC) + timedelta(days=2))
    assert retention_job(profile_app.settings, profile_app.db, clock) is None  # nothing set
    job = retention_job(settings, profile_app.db, clock)
    assert job is not None and job.name == "retention"
    runner = MaintenanceRunner([job], clock)

    assert await runner.run_due() == ["retention"]
    assert await erased_count(profile_app) == 1
    await profile_app.core.bus.handle(Reopen(north, "sam"))
    await profile_app.core.bus.handle(Resolve(north, "sam"))
    await execute(profile_app, "UPDATE conversations SET erased_at = NULL")
    clock.at += timedelta(minutes=59)
    assert await runner.run_due() == []  # too soon
    clock.at += timedelta(minutes=2)
    assert await runner.run_due() == ["retention"]
    assert await erased_count(profile_app) == 2


async def test_rows_hashed_under_the_legacy_scheme_still_verify_and_still_catch_edits(
    profile_app,
):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    payload = {"message_id": "m-old", "text_sha256": "ab" * 32}
    body = event_body(
        chain="legacy",
        chain_seq=1,
        at=at,
        actor="storedesk",
        kind="received",
        store_id="legacy",
        conversation_id=None,
        payload=payload,
    )
    digest = event_hash(GENESIS, body)
    async with profile_app.db.writer.begin() as connection:
        await connection.execute(
            insert(audit_events).values(
                chain="legacy",
                chain_seq=1,
                at=at,
                actor="storedesk",
                kind="received",
                store_id="legacy",
                payload=payload,
                prev_hash=GENESIS,
                hash=digest,
            )
        )
        await connection.execute(
            insert(audit_heads).values(chain="legacy", chain_seq=1, hash=digest)
        )
        version = (
            await connection.execute(
                select(audit_events.c.hash_version).where(audit_events.c.chain == "legacy")
            )
        ).scalar_one()
    assert version == 1  # the column's default marks rows written before field digests
    assert await verify(profile_app) is None
    await execute(
        profile_app,
        "UPDATE audit_events SET payload = :p WHERE chain = 'legacy'",
        p=json.dumps({**payload, "text_sha256": "[erased]"}),
    )
    assert (await verify(profile_app)).chain == "legacy"


async def test_forgetting_a_customer_folded_into_another_forgets_the_whole_profile(profile_app):
    north = await mail(profile_app, "nw-mail", "jo@example.com", "Jo", f"At {SECRET}")
    dragon = await mail(profile_app, "dragon-mail", "j.o+x@example.com", "Jo", f"At {SECRET}")
    [(proposal_id, absorbed)] = await execute_rows(
        profile_app, "SELECT id, customer_id FROM customer_link_proposals"
    )
    await profile_app.core.bus.handle(DecideCustomerLink(proposal_id, "sam", confirm=True))

    done = await forget(
        profile_app.settings, [absorbed], None, None, "dpo", Clock(datetime.now(UTC))
    )

    assert [e.conversations for e in done.values()] == [2]
    texts = await execute_rows(
        profile_app,
        "SELECT text FROM messages WHERE conversation_id IN (:a, :b)",
        a=north,
        b=dragon,
    )
    assert {t for (t,) in texts} == {"[erased]"}
    assert await verify(profile_app) is None
