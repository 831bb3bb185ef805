"""Growing the team: invitations from the CLI and the console, grants by scope, refusals."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot import cli_members
from bot.workspaces.slack.app import SlackDirectory
from main import RunningApp, _parser
from storage.grants import identity_lookup
from storage.orm import audit_events
from storage.repository import load_member
from tests.support.console_client import ConsoleClient
from tests.support.custom_app import start_custom_app, store_of


def with_clients(config: dict[str, Any]) -> None:
    """Northwind belongs to client Acme, Dragon to client Longma; Olga admins everything."""
    config["clients"] = [{"id": "acme", "name": "Acme Group"}, {"id": "longma", "name": "Longma"}]
    store_of(config, "northwind")["client"] = "acme"
    store_of(config, "dragon")["client"] = "longma"
    config["members"].append({"id": "olga", "name": "Olga Admin", "role": "admin"})


@pytest.fixture
async def team_app(tmp_path, database_url, embedder):
    running = await start_custom_app(tmp_path, database_url, embedder, with_clients)
    yield running
    await running.stop()


async def members_cli(app: RunningApp, capsys: Any, *argv: str) -> tuple[int, str, str]:
    args = _parser().parse_args(["members", *argv])
    code = await cli_members.run(args, app.settings)
    out = capsys.readouterr()
    return code, out.out, out.err


async def accept(app: RunningApp, path: str, name: str) -> tuple[int, str, aiohttp.ClientSession]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with http.post(app.base_url + path, data={"name": name}) as response:
        return response.status, await response.text(), http


async def my_stores(http: aiohttp.ClientSession, app: RunningApp) -> dict[str, str]:
    async with http.get(app.base_url + "/api/me") as response:
        assert response.status == 200
        return {s["id"]: s["role"] for s in (await response.json())["stores"]}


async def kinds(app: RunningApp, kind: str) -> list[dict[str, Any]]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(select(audit_events).where(audit_events.c.kind == kind))
        return [dict(r._mapping) for r in rows]


async def test_cli_invitation_link_makes_a_member_of_one_store(team_app, capsys):
    code, out, err = await members_cli(
        team_app,
        capsys,
        "invite",
        "--by",
        "sam",
        "--email",
        "Nina@Example.com",
        "--role",
        "agent",
        "--store",
        "northwind",
    )
    assert code == 0, err
    link = out.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:") and "/console/invite/" in link
    path = link[link.index("/console/invite/") :]

    status, page, http = await accept(team_app, path, "Nina Newcomer")
    try:
        assert status == 200, page
        assert "sign-in link" in page
        assert await my_stores(http, team_app) == {"northwind": "agent"}
    finally:
        await http.close()

    again, page, http = await accept(team_app, path, "Someone Else")
    await http.close()
    assert again == 400 and "already used" in page
    (invited,) = await kinds(team_app, "member_invited")
    assert invited["actor"] == "sam" and invited["payload"]["email"] == "nina@example.com"
    (joined,) = await kinds(team_app, "member_joined")
    assert joined["actor"] == "nina" and joined["payload"]["invited_by"] == "sam"


async def test_client_scope_grant_reaches_every_store_of_that_client_only(team_app, capsys):
    code, out, err = await members_cli(
        team_app,
        capsys,
        "invite",
        "--by",
        "olga",
        "--email",
        "lee@acme.example",
        "--role",
        "client",
        "--client",
        "acme",
    )
    assert code == 0, err
    path = out[out.index("/console/invite/") :].strip()
    status, page, http = await accept(team_app, path, "Lee Client")
    try:
        assert status == 200, page
        assert await my_stores(http, team_app) == {"northwind": "client"}
        async with http.get(team_app.base_url + "/api/stores/dragon/conversations") as response:
            assert response.status == 404
    finally:
        await http.close()


@pytest.mark.parametrize(
    ("by", "role", "scope", "why"),
    [
        ("ana", "agent", ("--store", "northwind"), "may not invite"),
        ("sam", "lead", ("--store", "northwind"), "may not grant lead"),
        ("sam", "agent", ("--client", "acme"), ""),  # sam is lead of acme's one store: allowed
        ("chen", "client", ("--store", "northwind"), "may not invite"),
        ("li", "agent", ("--store", "northwind"), "no role in store northwind"),
        ("stranger", "agent", ("--store", "northwind"), "no role"),
    ],
)
async def test_who_may_invite_whom(team_app, capsys, by, role, scope, why):
    code, _out, err = await members_cli(
        team_app, capsys, "invite", "--by", by, "--email", "x@example.com", "--role", role, *scope
    )
    if not why:
        assert code == 0, err
        return
    assert code == 2 and why in err
    denied = await kinds(team_app, "denied")
    assert any(d["actor"] == by and d["payload"]["action"] == "grant" for d in denied)


async def test_grant_to_a_slack_identity_and_revoke(team_app, capsys):
    code, out, err = await members_cli(
        team_app,
        capsys,
        "grant",
        "--by",
        "olga",
        "--slack-user",
        "U0NEWBIE",
        "--name",
        "Newbie",
        "--role",
        "lead",
        "--store",
        "dragon",
    )
    assert code == 0, err
    member_id = out.split()[0]
    async with ConsoleClient(team_app, member_id) as console:
        _status, me = await console.get("/api/me")
        assert {s["id"]: s["role"] for s in me["stores"]} == {"dragon": "lead"}
    # Slack presses by that user now act as the member, without a config change or restart.
    slack_directory = SlackDirectory({}, frozenset(), identities=identity_lookup(team_app.db))
    assert await slack_directory.resolve("U0NEWBIE", api=None) == member_id  # type: ignore[arg-type]
    assert await slack_directory.resolve("U0OTHER", api=None) == "slack:U0OTHER"  # type: ignore[arg-type]
    # A lead may not take a lead's role away; an admin may.
    code, _out, err = await members_cli(
        team_app, capsys, "revoke", "--by", "sam", member_id, "--store", "dragon"
    )
    assert code == 2 and "may not take a lead role away" in err
    code, _out, err = await members_cli(
        team_app, capsys, "revoke", "--by", "olga", member_id, "--store", "dragon"
    )
    assert code == 0, err
    async with team_app.db.read_sessions() as session:
        member = await load_member(session, member_id)
    assert member is not None and member.roles == {}


async def test_console_invite_by_lead_and_refusal_for_agent(team_app):
    async with ConsoleClient(team_app, "sam") as lead:
        status, listing = await lead.get("/api/members")
        assert status == 200
        assert set(listing["stores"]) == {"northwind", "dragon"}
        assert {"ana", "sam", "chen", "li"} <= {g["member_id"] for g in listing["grants"]}
        status, issued = await lead.post(
            "/api/members/invite",
            {"email": "pat@example.com", "role": "agent", "scope": "store", "scope_id": "dragon"},
        )
        assert status == 200, issued
        assert issued["path"].startswith("/console/invite/")
        status, refused = await lead.post(
            "/api/members/invite",
            {"email": "pat@example.com", "role": "admin", "scope": "store", "scope_id": "dragon"},
        )
        assert status == 403, refused
        status, bad = await lead.post(
            "/api/members/invite",
            {"email": "not-an-email", "role": "agent", "scope": "store", "scope_id": "dragon"},
        )
        assert status == 400 and "email" in bad["error"]
    async with ConsoleClient(team_app, "ana") as agent:
        status, listing = await agent.get("/api/members")
        assert status == 200 and listing == {"grants": [], "stores": []}
        status, refused = await agent.post(
            "/api/members/invite",
            {
                "email": "pat@example.com",
                "role": "agent",
                "scope": "store",
                "scope_id": "northwind",
            },
        )
        assert status == 403, refused


async def test_invited_grant_survives_a_restart_with_the_same_config(
    tmp_path, database_url, embedder, capsys
):
    first = await start_custom_app(tmp_path, database_url, embedder, with_clients)
    try:
        code, out, err = await members_cli(
            first,
            capsys,
            "grant",
            "--by",
            "sam",
            "--email",
            "kim@example.com",
            "--role",
            "agent",
            "--store",
            "northwind",
        )
        assert code == 0, err
        member_id = out.split()[0]
    finally:
        await first.stop()
    second = await start_custom_app(tmp_path, database_url, embedder, with_clients)
    try:
        async with ConsoleClient(second, member_id) as console:
            _status, me = await console.get("/api/me")
            assert [s["id"] for s in me["stores"]] == ["northwind"]
    finally:
        await second.stop()
