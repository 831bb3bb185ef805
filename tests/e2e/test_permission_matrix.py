"""The permission matrix on the console API: every action × every role × own/other store.

The expectations are written out here, not read from the domain's table, so a surface that
forgets a check (or a table that drifts) fails. A refused change answers 403 and leaves a
`denied` audit event; a refused read answers 404, as if the thing did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.commands import ReceiveCustomerMessage
from main import RunningApp
from storage.orm import audit_events
from tests.support.console_client import ConsoleClient
from tests.support.custom_app import start_custom_app, store_of

ROLES = {"agent": "ana", "lead": "lea", "admin": "adam", "client": "chen"}
OWN, OTHER = "northwind", "dragon"  # every member below has a role in northwind only
CONSUMES = {"approve", "edit", "reject", "escalate", "takeover", "reply", "resolve"}


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # {c} conversation, {d} draft, {s} store
    body: dict[str, Any] | None = None
    read: bool = False


ACTIONS = {
    "view": Call("GET", "/api/conversations/{c}", read=True),
    "metrics": Call("GET", "/api/metrics/{s}?period=today", read=True),
    "rollout": Call("GET", "/api/stores/{s}/rollout", read=True),
    "approve": Call("POST", "/api/drafts/{d}/approve"),
    "edit": Call("POST", "/api/drafts/{d}/edit", {"text": "Edited answer."}),
    "reject": Call("POST", "/api/drafts/{d}/reject", {"reason": "not right"}),
    "escalate": Call("POST", "/api/conversations/{c}/escalate", {"reason": "needs a lead"}),
    "takeover": Call("POST", "/api/conversations/{c}/takeover"),
    "reply": Call("POST", "/api/conversations/{c}/reply", {"text": "A reply."}),
    "note": Call("POST", "/api/conversations/{c}/notes", {"text": "Internal."}),
    "comment": Call("POST", "/api/conversations/{c}/comment", {"text": "From the client."}),
    "resolve": Call("POST", "/api/conversations/{c}/resolve"),
    "invite": Call(
        "POST",
        "/api/members/invite",
        {"email": "new@example.com", "role": "agent", "scope": "store", "scope_id": "{s}"},
    ),
}
AGENT = {
    "view", "metrics", "approve", "edit", "reject", "escalate", "takeover", "reply", "note",
    "comment", "resolve",
}  # fmt: skip
EXPECTED = {
    "agent": AGENT,
    "lead": set(ACTIONS),
    "admin": set(ACTIONS),
    "client": {"view", "metrics", "comment"},
}


def team(config: dict[str, Any]) -> None:
    config["members"] += [
        {"id": "lea", "name": "Lea Lead"},
        {"id": "adam", "name": "Adam Admin"},
    ]
    store_of(config, OWN)["members"] = {
        "ana": "agent",
        "lea": "lead",
        "adam": "admin",
        "chen": "client",
    }
    store_of(config, OTHER)["members"] = {"li": "agent"}


class Conversations:
    """A fresh conversation with a pending draft per store, renewed once one is used up."""

    def __init__(self, app: RunningApp) -> None:
        self._app = app
        self._count = 0
        self._current: dict[str, tuple[str, str]] = {}

    async def current(self, store: str, lead: ConsoleClient) -> tuple[str, str]:
        if store not in self._current:
            self._count += 1
            account = "nw-market" if store == OWN else "dragon-web"
            await self._app.core.bus.handle(
                ReceiveCustomerMessage(
                    channel_account_id=account,
                    external_id=f"m-{self._count}",
                    customer_external_id=f"c-{self._count}",
                    customer_name="Jo",
                    text="Which payment methods do you accept?",
                )
            )
            async with self._app.db.read_sessions() as session:
                conversation_id = (
                    await session.execute(
                        select(audit_events.c.conversation_id)
                        .where(audit_events.c.kind == "received")
                        .order_by(audit_events.c.seq.desc())
                        .limit(1)
                    )
                ).scalar_one()
            detail = await lead.wait_for_draft(conversation_id)
            self._current[store] = (conversation_id, detail["draft"]["id"])
        return self._current[store]

    def used(self, store: str) -> None:
        self._current.pop(store, None)


async def denied_count(app: RunningApp, actor: str) -> int:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            select(audit_events.c.seq).where(
                audit_events.c.kind == "denied", audit_events.c.actor == actor
            )
        )
        return len(rows.all())


@pytest.fixture
async def matrix_app(tmp_path, database_url, embedder):
    running = await start_custom_app(tmp_path, database_url, embedder, team)
    yield running
    await running.stop()


async def test_every_action_by_every_role_in_own_and_other_store(matrix_app):
    app = matrix_app
    conversations = Conversations(app)
    wrong: list[str] = []
    async with ConsoleClient(app, "adam") as admin_of_own, ConsoleClient(app, "li") as other_agent:
        viewers = {OWN: admin_of_own, OTHER: other_agent}  # someone who may read each store
        for role, member_id in ROLES.items():
            async with ConsoleClient(app, member_id) as console:
                for store in (OWN, OTHER):
                    for name, call in ACTIONS.items():
                        allowed = name in EXPECTED[role] and store == OWN
                        conversation_id, draft_id = await conversations.current(
                            store, viewers[store]
                        )
                        path = call.path.format(c=conversation_id, d=draft_id, s=store)
                        body = {
                            k: (v.format(s=store) if isinstance(v, str) else v)
                            for k, v in (call.body or {}).items()
                        }
                        before = await denied_count(app, member_id)
                        if call.method == "GET":
                            status, answer = await console.get(path)
                        else:
                            status, answer = await console.post(path, body)
                        refused = 404 if call.read else 403
                        if allowed and status != 200:
                            wrong.append(f"{role} {name} {store}: {status} {answer}")
                        if not allowed:
                            if status != refused:
                                wrong.append(f"{role} {name} {store}: {status}, not {refused}")
                            elif not call.read and await denied_count(app, member_id) <= before:
                                wrong.append(f"{role} {name} {store}: refused but not audited")
                        if allowed and name in CONSUMES:
                            conversations.used(store)
    assert wrong == []


async def test_review_queue_lists_only_stores_the_member_leads(matrix_app):
    expected = {"agent": [], "lead": [OWN], "admin": [OWN], "client": []}
    for role, member_id in ROLES.items():
        async with ConsoleClient(matrix_app, member_id) as console:
            status, body = await console.get("/api/review-queue")
            assert status == 200 and body["stores"] == expected[role], role
