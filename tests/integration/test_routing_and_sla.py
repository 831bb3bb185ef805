"""Routing and SLA timers over the real core and real storage (SQLite and PostgreSQL), with
a clock the test moves: who gets a new conversation, and what the timer does when nobody
answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.bootstrap import Core, bootstrap
from bot.config import Settings
from bot.domain.commands import DraftReply, ReceiveCustomerMessage, SendReply, TakeOver
from bot.routing_config import routing_policy, sla_policies
from bot.services.metrics import derive_facts, summarize
from main import directory_from
from scheduler.sla import run_sla_timers
from storage import migrate
from storage.database import Database, open_database
from storage.directory import sync_directory
from storage.metrics_queries import audit_records, store_infos
from storage.orm import audit_events, conversations
from storage.uow import unit_of_work_factory
from tests.integration.test_outbox_delivery import NoDraft, NoKnowledge
from tests.support.config import settings_dict
from tests.support.routing_sla import MovableClock, TaggedTriager, add_routing_and_sla


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    raw = settings_dict(tmp_path / "data", "http://127.0.0.1:9", database_url=database_url)
    add_routing_and_sla(raw)
    return Settings.model_validate(raw)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = open_database(settings.database_url)
    await migrate.upgrade(database)
    async with database.write_sessions() as session, session.begin():
        await sync_directory(session, directory_from(settings))
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def policies(settings: Settings) -> dict[str, Any]:
    return sla_policies(settings.stores)


@pytest.fixture
def core(db: Database, clock: MovableClock, settings: Settings, policies: dict) -> Core:
    return bootstrap(
        uow_factory=unit_of_work_factory(db, clock),
        clock=clock,
        retriever=NoKnowledge(),
        drafter=NoDraft(),
        channel_for=lambda _account: None,
        worker_id="test",
        triager=TaggedTriager(),
        routing=routing_policy(
            settings.teams,
            {m.id: (m.languages, m.skills) for m in settings.members},
            settings.stores,
        ),
        sla_policies=policies,
    )


async def customer_says(core: Core, customer: str, text: str, n: int = 1) -> str:
    """A message in, triaged and drafted (routing runs then); returns the conversation."""
    result = await core.bus.handle(
        ReceiveCustomerMessage("nw-market", f"{customer}-{n}", customer, customer.title(), text)
    )
    await core.bus.handle(DraftReply(result.message_id))
    return result.conversation_id


async def assignee(db: Database, conversation_id: str) -> str | None:
    async with db.read_sessions() as session:
        return await session.scalar(
            select(conversations.c.assignee_id).where(conversations.c.id == conversation_id)
        )


async def events(db: Database, kind: str, conversation_id: str | None = None) -> list[Any]:
    query = select(audit_events).where(audit_events.c.kind == kind)
    if conversation_id is not None:
        query = query.where(audit_events.c.conversation_id == conversation_id)
    async with db.read_sessions() as session:
        return list((await session.execute(query.order_by(audit_events.c.seq))).all())


# --- routing --------------------------------------------------------------------------------


async def test_a_language_rule_routes_to_a_team_member_who_speaks_it(core, db) -> None:
    conversation = await customer_says(core, "jonas", "lang:de Wo ist mein Paket?")
    assert await assignee(db, conversation) == "bo"  # li leads the team but has no role here
    [assigned] = await events(db, "assigned", conversation)
    assert assigned.actor == "storedesk:routing"
    assert assigned.payload["rule"] == "german"
    assert assigned.payload["after"] == "bo" and assigned.payload["language"] == "de"


async def test_a_skill_rule_routes_by_intent_to_the_member_with_the_skill(core, db) -> None:
    conversation = await customer_says(core, "amy", "lang:en intent:refund_request refund me")
    assert await assignee(db, conversation) == "bo"
    [assigned] = await events(db, "assigned", conversation)
    assert assigned.payload["rule"] == "refunds"
    assert assigned.payload["intent"] == "refund_request"


async def test_the_least_loaded_eligible_member_gets_the_next_conversation(core, db) -> None:
    chosen = [
        await assignee(db, await customer_says(core, name, "lang:en where is my parcel?"))
        for name in ("amy", "ben", "cat", "dan")
    ]
    assert chosen == ["ana", "bo", "ana", "bo"]  # never li: no role in this store


async def test_no_eligible_member_leaves_the_conversation_unassigned(core, db) -> None:
    conversation = await customer_says(core, "zoe", "lang:fr Où est mon colis ?")
    assert await assignee(db, conversation) is None  # the rule's only person has no role here
    assert await events(db, "assigned") == []


async def test_routing_happens_once_and_take_over_assigns_the_presser(core, db) -> None:
    conversation = await customer_says(core, "amy", "lang:en hello")
    await customer_says(core, "amy", "lang:de hallo", n=2)  # same conversation, still ana's
    assert await assignee(db, conversation) == "ana"
    assert len(await events(db, "assigned", conversation)) == 1
    await core.bus.handle(TakeOver(conversation, "sam"))
    assert await assignee(db, conversation) == "sam"


# --- SLA timers -----------------------------------------------------------------------------


async def tick(db: Database, core: Core, clock: MovableClock, policies: dict) -> tuple[int, int]:
    done = await run_sla_timers(db, core.bus, clock, policies)
    return done.reminded, done.breached


async def test_reminder_once_then_breach_once_escalated_to_the_leads(
    core, db, clock, policies
) -> None:
    conversation = await customer_says(core, "zoe", "lang:fr Où est mon colis ?")
    clock.advance(29)
    assert await tick(db, core, clock, policies) == (0, 0)
    clock.advance(1)
    assert await tick(db, core, clock, policies) == (1, 0)
    clock.advance(30)
    assert await tick(db, core, clock, policies) == (0, 0)  # reminded already
    [reminder] = await events(db, "sla_reminder", conversation)
    assert reminder.payload["clock"] == "first_response"
    assert reminder.payload["waited_seconds"] == 30

    clock.advance(60)  # 120 s: the first-response target
    assert await tick(db, core, clock, policies) == (0, 1)
    clock.advance(600)
    assert await tick(db, core, clock, policies) == (0, 0)  # one breach per waiting period
    [breach] = await events(db, "sla_breached", conversation)
    assert breach.payload["leads"] == ["sam"] and breach.payload["assignee_id"] is None
    escalations = await events(db, "escalated", conversation)
    assert [(e.actor, e.payload["leads"]) for e in escalations] == [("storedesk:sla", ["sam"])]
    assert "(unassigned)" in escalations[0].payload["reason"]
    async with db.read_sessions() as session:
        status = await session.scalar(
            select(conversations.c.status).where(conversations.c.id == conversation)
        )
        infos = await store_infos(session)
        records = await audit_records(
            session, ["northwind"], clock.now().replace(hour=0), clock.now()
        )
    assert status == "escalated"
    assert summarize(derive_facts(records, infos)).sla_breaches == 1


async def test_a_reply_stops_the_clock_and_the_next_message_starts_the_next_one(
    core, db, clock, policies
) -> None:
    conversation = await customer_says(core, "amy", "lang:en where is my parcel?")
    clock.advance(20)
    await core.bus.handle(SendReply(conversation, "ana", "It ships today."))
    clock.advance(500)
    assert await tick(db, core, clock, policies) == (0, 0)  # answered: nothing is due

    await customer_says(core, "amy", "lang:en thanks, and the invoice?", n=2)
    clock.advance(200)  # past the reminder mark, inside the 300 s next-response target
    assert await tick(db, core, clock, policies) == (1, 0)
    clock.advance(100)
    assert await tick(db, core, clock, policies) == (0, 1)
    [breach] = await events(db, "sla_breached", conversation)
    assert breach.payload["clock"] == "next_response" and breach.payload["target_seconds"] == 300
    assert breach.payload["assignee_id"] == "ana"


async def test_a_reply_just_before_the_target_means_no_breach(core, db, clock, policies) -> None:
    conversation = await customer_says(core, "amy", "lang:en hello?")
    clock.advance(31)
    assert await tick(db, core, clock, policies) == (1, 0)
    clock.advance(80)
    await core.bus.handle(SendReply(conversation, "ana", "Hello! How can I help?"))
    clock.advance(3600)
    assert await tick(db, core, clock, policies) == (0, 0)
    assert await events(db, "sla_breached") == []


async def test_a_breach_on_a_taken_over_conversation_alerts_leads_but_leaves_its_owner(
    core, db, clock, policies
) -> None:
    conversation = await customer_says(core, "amy", "lang:en hello?")
    await core.bus.handle(TakeOver(conversation, "ana"))
    clock.advance(120)
    assert await tick(db, core, clock, policies) == (0, 1)
    [escalation] = await events(db, "escalated", conversation)
    assert escalation.payload["after"] == "taken_over" and escalation.payload["leads"] == ["sam"]
    async with db.read_sessions() as session:
        status = await session.scalar(
            select(conversations.c.status).where(conversations.c.id == conversation)
        )
    assert status == "taken_over"
