"""Two clients, many stores, the same customer email in both: nothing of one client ever
shows to the other's people — lists, reads, search, metrics, review queue, team, digest,
evidence export.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import evidence_cli
from bot.domain.commands import ReceiveCustomerMessage
from main import RunningApp, _parser
from scheduler import cli as digest_cli
from storage.orm import conversations
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.custom_app import start_custom_app

STORES_EACH = 8
CLIENTS = {"acme": "ACME-SECRET-RETURNS", "longma": "LONGMA-SECRET-RETURNS"}
SHARED_EMAIL = "shared.buyer@example.com"


def two_clients(config: dict[str, Any]) -> None:
    config["clients"] = [{"id": c, "name": c.title()} for c in CLIENTS]
    config["members"] = [
        {"id": "ann", "name": "Ann (Acme lead)"},
        {"id": "bo", "name": "Bo (Longma lead)"},
        {"id": "cat", "name": "Cat (Acme client)"},
    ]
    config["clients"][0]["members"] = {"ann": "lead", "cat": "client"}
    config["clients"][1]["members"] = {"bo": "lead"}
    config["stores"] = [
        {
            "id": f"{client}-{n}",
            "name": f"{client.title()} store {n}",
            "brand": client.title(),
            "languages": ["en"],
            "client": client,
            "channels": [{"id": f"{client}-{n}-web", "kind": "webchat"}],
            "faq": [
                {
                    "id": f"{client}-{n}-returns",
                    "question": "What is your return policy?",
                    "answer": f"{secret}: return within 30 days from store {n}.",
                }
            ],
        }
        for client, secret in CLIENTS.items()
        for n in range(1, STORES_EACH + 1)
    ]


@pytest.fixture
async def tenants(tmp_path, database_url, embedder):
    running = await start_custom_app(tmp_path, database_url, embedder, two_clients)
    for client in CLIENTS:
        for n in (1, 2):
            await running.core.bus.handle(
                ReceiveCustomerMessage(
                    channel_account_id=f"{client}-{n}-web",
                    external_id=f"{client}-{n}-m1",
                    customer_external_id=SHARED_EMAIL,
                    customer_name="Shared Buyer",
                    text="What is your return policy? My email is " + SHARED_EMAIL,
                )
            )
    yield running
    await running.stop()


async def conversation_ids(app: RunningApp, client: str) -> list[str]:
    async with app.db.read_sessions() as session:
        rows = await session.execute(
            select(conversations.c.id).where(conversations.c.store_id.like(f"{client}-%"))
        )
        return [r.id for r in rows]


def markdown_in(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.md")))


def other(client: str) -> str:
    return next(c for c in CLIENTS if c != client)


@pytest.mark.parametrize(("member", "client"), [("ann", "acme"), ("cat", "acme"), ("bo", "longma")])
async def test_nothing_of_the_other_client_is_visible(tenants, member, client, tmp_path):
    app = tenants
    foreign = other(client)
    foreign_conversations = await conversation_ids(app, foreign)
    assert len(foreign_conversations) == 2
    async with ConsoleClient(app, member) as console:
        _status, me = await console.get("/api/me")
        assert {s["id"] for s in me["stores"]} == {f"{client}-{n}" for n in range(1, 9)}
        for n in (1, 2):
            status, _ = await console.get(f"/api/stores/{foreign}-{n}/conversations")
            assert status == 404
            status, _ = await console.get(f"/api/metrics/{foreign}-{n}")
            assert status == 404
            status, _ = await console.get(f"/api/knowledge/search?store={foreign}-{n}&q=return")
            assert status == 404
            status, _ = await console.get(f"/api/knowledge/articles?store={foreign}-{n}")
            assert status == 404
        for conversation_id in foreign_conversations:
            status, _ = await console.get(f"/api/conversations/{conversation_id}")
            assert status == 404
        status, own = await console.get(f"/api/stores/{client}-1/conversations")
        assert status == 200 and len(own["conversations"]) == 1
        status, found = await console.get(f"/api/knowledge/search?store={client}-1&q=return+policy")
        assert status == 200 and found["hits"]
        assert all(h["article_id"].startswith(f"{client}-") for h in found["hits"])
        status, _ = await console.get(f"/api/knowledge/article?id={foreign}-1-returns")
        assert status == 404
        status, queue = await console.get("/api/review-queue")
        assert all(i["store_id"].startswith(f"{client}-") for i in queue["items"])
        status, team = await console.get("/api/members")
        assert all(g["member_id"] != ("bo" if client == "acme" else "ann") for g in team["grants"])

    # Evidence export on behalf of the member refuses the other client's records.
    out = tmp_path / f"evidence-{member}"
    for argv in (
        ["evidence", "export", "--store", f"{foreign}-1", "--member", member, "--out", str(out)],
        [
            "evidence", "export", "--conversation", foreign_conversations[0],
            "--member", member, "--out", str(out),
        ],
    ):  # fmt: skip
        assert await evidence_cli.run(_parser().parse_args(argv), app.settings) == 2


async def test_client_digest_covers_only_that_clients_stores(tenants, tmp_path):
    async with ConsoleClient(tenants, "ann") as lead:

        async def drafted() -> bool:
            _status, body = await lead.get("/api/review-queue")
            return len(body["items"]) == 2

        await wait_until(drafted, within=20)
    out: Path = tmp_path / "digest"
    args = _parser().parse_args(
        ["digest", "--client", "acme", "--period", "today", "--out", str(out), "--no-clusters"]
    )
    assert await digest_cli.run(args, tenants.settings) == 0
    written = await asyncio.to_thread(markdown_in, out)
    assert "Acme store 1" in written
    assert "Longma" not in written and "longma" not in written
