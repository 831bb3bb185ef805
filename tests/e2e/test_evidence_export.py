"""`storedesk evidence export`: the whole record of a conversation, provable by its hashes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import select, update

from bot import evidence_cli
from main import _parser
from storage.orm import audit_events
from tests.support.console_client import ConsoleClient, wait_until
from tests.support.webhook_client import post_webhook, webhook_body


async def _edited_and_sent(app, http, callback_server) -> str:
    body = webhook_body("m-1", "How long does shipping take to Germany?")
    assert (await post_webhook(http, app.base_url, body))[0] == 202
    async with ConsoleClient(app, "sam") as lead:
        listing = (await lead.get("/api/stores/northwind/conversations"))[1]
        conversation_id = listing["conversations"][0]["id"]
        draft = (await lead.wait_for_draft(conversation_id))["draft"]
        status, _ = await lead.post(
            f"/api/drafts/{draft['id']}/edit", {"text": "Two to four days, Jo."}
        )
        assert status == 200
    await wait_until(lambda: len(callback_server.calls) == 1)
    return conversation_id


async def export(app, out: Path, *argv: str) -> int:
    args = _parser().parse_args(["evidence", "export", "--out", str(out), *argv])
    return await evidence_cli.run(args, app.settings)


async def test_a_conversation_exports_every_step_with_verifiable_hashes(
    app, http, callback_server, tmp_path
):
    conversation_id = await _edited_and_sent(app, http, callback_server)
    out = tmp_path / "evidence"

    await wait_until(lambda: _sent_recorded(app, conversation_id))
    assert await export(app, out, "--conversation", conversation_id) == 0

    (document,) = json.loads((out / "evidence.json").read_text())["conversations"]
    assert document["conversation"]["store_id"] == "northwind"
    assert [m["direction"] for m in document["messages"]] == ["in", "out"]
    assert document["messages"][1]["text"] == "Two to four days, Jo."
    assert document["messages"][1]["delivery_status"] == "sent"
    (review,) = document["reviews"]
    assert review["actor_id"] == "sam"
    assert "2-4 business days" in review["before"]
    assert review["after"] == "Two to four days, Jo."
    used = {(k["article_id"], k["version"]) for k in document["knowledge_used"]}
    assert ("northwind/faq/shipping-time", 1) in used
    shipping = next(
        k for k in document["knowledge_used"] if k["version"] == 1 and "shipping" in k["article_id"]
    )
    assert "2-4 business days" in shipping["body"]
    kinds = [e["kind"] for e in document["events"]]
    for expected in ("received", "triaged", "drafted", "reviewed", "sent"):
        assert expected in kinds
    assert all(e["hash_ok"] for e in document["events"])
    assert document["chain_ok"] is True

    (row,) = list(csv.DictReader((out / "summary.csv").open()))
    assert row["conversation_id"] == conversation_id
    assert (row["inbound"], row["replies_sent"], row["reviewed_by"]) == ("1", "1", "sam")
    assert row["last_event_hash"] == document["events"][-1]["hash"]


async def _sent_recorded(app, conversation_id: str) -> bool:
    async with app.db.read_sessions() as session:
        kinds = (
            await session.execute(
                select(audit_events.c.kind).where(audit_events.c.conversation_id == conversation_id)
            )
        ).scalars()
        return "sent" in set(kinds)


async def test_a_member_exports_only_stores_they_may_see(app, http, callback_server, tmp_path):
    conversation_id = await _edited_and_sent(app, http, callback_server)

    # Chen is Northwind's client: the record of their own store is theirs to have.
    assert await export(app, tmp_path / "chen", "--store", "northwind", "--member", "chen") == 0
    exported = json.loads((tmp_path / "chen" / "evidence.json").read_text())
    assert [c["conversation"]["id"] for c in exported["conversations"]] == [conversation_id]

    # Li works only for Dragon: neither the store nor the conversation is exported.
    refused = tmp_path / "li"
    assert await export(app, refused, "--store", "northwind", "--member", "li") == 2
    assert await export(app, refused, "--conversation", conversation_id, "--member", "li") == 2
    assert not refused.exists()


async def test_an_altered_event_is_flagged_in_the_export(app, http, callback_server, tmp_path):
    conversation_id = await _edited_and_sent(app, http, callback_server)
    async with app.db.writer.begin() as connection:
        await connection.execute(
            update(audit_events)
            .where(
                audit_events.c.conversation_id == conversation_id,
                audit_events.c.kind == "reviewed",
            )
            .values(actor="someone-else")
        )

    assert await export(app, tmp_path / "out", "--conversation", conversation_id) == 1
    (document,) = json.loads((tmp_path / "out" / "evidence.json").read_text())["conversations"]
    assert document["chain_ok"] is False
    tampered = [e for e in document["events"] if not e["hash_ok"]]
    assert [e["kind"] for e in tampered] == ["reviewed"]
