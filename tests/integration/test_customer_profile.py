"""Customer profile across stores: exact links, proposals, viewer filtering, never across
clients. Real app, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from bot.domain.commands import DecideCustomerLink, Resolve
from bot.domain.errors import NotAuthorized
from main import RunningApp
from storage import profiles
from storage.audit import verify_chains
from storage.repository import load_member
from tests.integration.test_audit_chain import wait_for_idle_outbox
from tests.support.console_client import ConsoleClient
from tests.support.custom_app import start_custom_app
from tests.support.profile_app import add_mail_accounts, mail, two_clients


@pytest.fixture
async def profile_app(tmp_path, database_url, embedder) -> AsyncIterator[RunningApp]:
    app = await start_custom_app(tmp_path, database_url, embedder, two_clients)
    await add_mail_accounts(app)
    yield app
    await app.stop()


async def rows(app: RunningApp, sql: str, **params) -> list:
    async with app.db.read_sessions() as session:
        return list(await session.execute(text(sql), params))


async def customer_of(app: RunningApp, conversation_id: str) -> str:
    sql = "SELECT customer_id FROM conversations WHERE id = :c"
    return (await rows(app, sql, c=conversation_id))[0][0]


async def profile_for(app: RunningApp, member_id: str, conversation_id: str) -> dict:
    async with app.db.read_sessions() as session:
        member = await load_member(session, member_id)
        assert member is not None
        found = await profiles.customer_profile(
            session,
            await customer_of(app, conversation_id),
            member.visible_stores(),
            current_conversation=conversation_id,
        )
    assert found is not None
    return found


async def test_a_verified_email_links_stores_of_one_client_but_never_another_client(
    profile_app,
):
    north = await mail(profile_app, "nw-mail", "jo@example.com", "Jo", "Where is my parcel?")
    dragon = await mail(profile_app, "dragon-mail", "JO@example.com", "Jo", "Warranty?")
    rival = await mail(profile_app, "rival-mail", "jo@example.com", "Jo", "Hello")

    assert await customer_of(profile_app, north) == await customer_of(profile_app, dragon)
    assert await customer_of(profile_app, rival) != await customer_of(profile_app, north)
    # The rival's agent sees only their own store's history, even for the same address.
    seen = await profile_for(profile_app, "rio", rival)
    assert seen["stores"] == ["rival"]
    assert seen["earlier_conversations"] == 0
    assert await rows(profile_app, "SELECT id FROM customer_link_proposals") == []


async def test_the_profile_shows_only_stores_the_viewer_may_see(profile_app):
    north = await mail(profile_app, "nw-mail", "jo@example.com", "Jo", "Where is my parcel?")
    await mail(profile_app, "dragon-mail", "jo@example.com", "Jo", "我很生气，保修呢？")
    await wait_for_idle_outbox(profile_app, within=30.0)

    lead = await profile_for(profile_app, "sam", north)  # lead in both stores
    agent = await profile_for(profile_app, "ana", north)  # agent of northwind alone

    assert lead["stores"] == ["dragon", "northwind"]
    assert lead["earlier_conversations"] == 1
    assert [i["store_id"] for i in lead["open_issues"]] == ["dragon"]
    assert len(lead["sentiments"]) == 2
    assert agent["stores"] == ["northwind"]
    assert agent["earlier_conversations"] == 0
    assert agent["open_issues"] == [] and len(agent["sentiments"]) == 1


async def test_a_fuzzy_match_is_proposed_and_a_member_of_both_stores_confirms_it(profile_app):
    north = await mail(profile_app, "nw-mail", "jo.smith@example.com", "Jo Smith", "Hi")
    dragon = await mail(profile_app, "dragon-mail", "josmith+shop@example.com", "Jo Smith", "Hi")
    assert await customer_of(profile_app, north) != await customer_of(profile_app, dragon)
    [(proposal_id, status)] = await rows(
        profile_app, "SELECT id, status FROM customer_link_proposals"
    )
    assert status == "pending"
    assert [p["id"] for p in (await profile_for(profile_app, "sam", north))["pending_links"]] == [
        proposal_id
    ]
    # Ana works northwind only: she may not join a northwind profile with a dragon one.
    assert (await profile_for(profile_app, "ana", north))["pending_links"] == []
    with pytest.raises(NotAuthorized):
        await profile_app.core.bus.handle(DecideCustomerLink(proposal_id, "ana", confirm=True))

    await profile_app.core.bus.handle(DecideCustomerLink(proposal_id, "sam", confirm=True))

    assert await customer_of(profile_app, north) == await customer_of(profile_app, dragon)
    assert await rows(profile_app, "SELECT status FROM customer_link_proposals") == [("confirmed",)]
    kinds = [
        (r[0], r[1])
        for r in await rows(
            profile_app,
            "SELECT kind, actor FROM audit_events WHERE kind IN "
            "('denied', 'customer_link_proposed', 'customer_link_confirmed') ORDER BY seq",
        )
    ]
    assert ("denied", "ana") in kinds and ("customer_link_confirmed", "sam") in kinds
    async with profile_app.db.read_sessions() as session:
        assert (await verify_chains(session))[1] is None


async def test_a_rejected_proposal_keeps_customers_apart_and_is_not_asked_again(profile_app):
    north = await mail(profile_app, "nw-mail", "jo.smith@example.com", "Jo Smith", "Hi")
    dragon = await mail(profile_app, "dragon-mail", "josmith@example.com", "Jo Smith", "Hi")
    [(proposal_id,)] = await rows(profile_app, "SELECT id FROM customer_link_proposals")

    await profile_app.core.bus.handle(DecideCustomerLink(proposal_id, "sam", confirm=False))
    await profile_app.core.bus.handle(Resolve(dragon, "sam"))
    await mail(profile_app, "dragon-mail", "josmith@example.com", "Jo Smith", "Again")

    assert await customer_of(profile_app, north) != await customer_of(profile_app, dragon)
    assert await rows(profile_app, "SELECT status FROM customer_link_proposals") == [("rejected",)]
    assert await rows(
        profile_app, "SELECT actor FROM audit_events WHERE kind = 'customer_link_rejected'"
    ) == [("sam",)]


async def test_a_similar_email_in_another_client_is_never_proposed(profile_app):
    await mail(profile_app, "nw-mail", "jo.smith@example.com", "Jo Smith", "Hi")
    await mail(profile_app, "rival-mail", "josmith@example.com", "Jo Smith", "Hi")
    assert await rows(profile_app, "SELECT id FROM customer_link_proposals") == []


async def test_the_console_shows_the_viewers_profile_and_decides_links(profile_app):
    north = await mail(profile_app, "nw-mail", "jo@example.com", "Jo", "Where is my parcel?")
    await mail(profile_app, "dragon-mail", "jo@example.com", "Jo", "Warranty?")
    await mail(profile_app, "dragon-mail", "j.o+gifts@example.com", "Jo", "Gift wrap?")
    [(proposal_id,)] = await rows(profile_app, "SELECT id FROM customer_link_proposals")

    async with ConsoleClient(profile_app, "ana") as ana:
        status, detail = await ana.get(f"/api/conversations/{north}")
        assert status == 200
        assert detail["profile"]["stores"] == ["northwind"]
        assert detail["profile"]["pending_links"] == []
        status, _ = await ana.post(f"/api/customer-links/{proposal_id}/confirm")
        assert status == 403
    async with ConsoleClient(profile_app, "sam") as sam:
        _, detail = await sam.get(f"/api/conversations/{north}")
        assert detail["profile"]["stores"] == ["dragon", "northwind"]
        assert [p["id"] for p in detail["profile"]["pending_links"]] == [proposal_id]
        status, answer = await sam.post(f"/api/customer-links/{proposal_id}/reject")
        assert status == 200 and answer["result"]["confirmed"] is False
        _, detail = await sam.get(f"/api/conversations/{north}")
        assert detail["profile"]["pending_links"] == []
