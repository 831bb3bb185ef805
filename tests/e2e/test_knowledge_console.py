"""Learning from edits, end to end through the console: an agent edits a draft before
sending, a lead accepts the proposal, and the next similar question is answered from the
new article version. Runs on SQLite and PostgreSQL (the `app` fixture)."""

from __future__ import annotations

from tests.support.console_client import ConsoleClient
from tests.support.webhook_client import post_webhook, webhook_body

RETURNS = "northwind/faq/returns"
OLD = "Return unworn items within 30 days from your order page."
NEW = "Return unworn items within 60 days from your order page; the return label is free."


async def _ask(app, http, console: ConsoleClient, message_id: str, customer: str, text: str):
    status, reply = await post_webhook(http, app.base_url, webhook_body(message_id, text, customer))
    assert status == 202, reply
    status, listing = await console.get("/api/stores/northwind/conversations")
    assert status == 200
    conversation = next(c for c in listing["conversations"] if c["last_text"] == text)
    return (await console.wait_for_draft(conversation["id"]))["draft"]


async def test_an_edited_draft_becomes_the_next_answer_once_a_lead_accepts_it(app, http):
    async with ConsoleClient(app, "ana") as agent, ConsoleClient(app, "sam") as lead:
        draft = await _ask(app, http, agent, "m-1", "c-1", "How do I return an item?")
        assert draft["citations"][0]["article_id"] == RETURNS
        assert draft["citations"][0]["version"] == 1
        assert OLD in draft["text"]

        edited = draft["text"].replace(OLD, NEW)
        status, result = await agent.post(f"/api/drafts/{draft['id']}/edit", {"text": edited})
        assert status == 200, result

        status, listing = await lead.get("/api/knowledge/proposals?store=northwind")
        assert status == 200, listing
        [proposal] = listing["proposals"]
        assert (proposal["article_id"], proposal["article_version"]) == (RETURNS, 1)
        assert f"-{OLD}" in proposal["diff"] and f"+{NEW}" in proposal["diff"]
        assert proposal["question"] == "How do I return an item?"
        status, detail = await lead.get(f"/api/knowledge/proposals/{proposal['id']}")
        assert detail["suggestion"]["body"] == NEW

        # Agents may see proposals but only leads decide them.
        status, refused = await agent.post(f"/api/knowledge/proposals/{proposal['id']}/accept")
        assert status == 403, refused
        status, accepted = await lead.post(
            f"/api/knowledge/proposals/{proposal['id']}/accept",
            {"body": NEW + " Sale items are final."},  # edit, then accept
        )
        assert status == 200, accepted
        assert (accepted["article"]["id"], accepted["article"]["version"]) == (RETURNS, 2)
        status, again = await lead.post(f"/api/knowledge/proposals/{proposal['id']}/reject")
        assert status == 409, again

        draft = await _ask(app, http, agent, "m-2", "c-2", "Can I send back an item I bought?")
        assert draft["citations"][0] == {**draft["citations"][0], "article_id": RETURNS}
        assert draft["citations"][0]["version"] == 2
        assert "60 days" in draft["text"] and "Sale items are final." in draft["text"]

        status, history = await agent.get(f"/api/knowledge/article?id={RETURNS}")
        assert status == 200, history
        assert [(v["version"], v["status"]) for v in history["versions"]] == [
            (1, "retired"),
            (2, "active"),
        ]
        assert history["versions"][1]["approver"] == "sam"
        status, diff = await agent.get(f"/api/knowledge/diff?id={RETURNS}&from=1&to=2")
        assert f"-{OLD}" in diff["diff"] and "+" + NEW in diff["diff"]


async def test_console_search_uses_the_chosen_store_scope_and_hides_other_stores(app):
    async with ConsoleClient(app, "ana") as agent, ConsoleClient(app, "li") as other:
        status, found = await agent.get("/api/knowledge/search?store=northwind&q=refund%20return")
        assert status == 200, found
        assert found["hits"][0]["article_id"] == RETURNS
        status, _ = await other.get("/api/knowledge/search?store=northwind&q=return")
        assert status == 404
        status, _ = await other.get(f"/api/knowledge/article?id={RETURNS}")
        assert status == 404
        status, found = await other.get("/api/knowledge/search?store=dragon&q=保修多久")
        assert next(h["article_id"] for h in found["hits"]) == "dragon/faq/warranty"


async def test_lead_edits_an_article_and_the_agent_may_not(app):
    async with ConsoleClient(app, "ana") as agent, ConsoleClient(app, "sam") as lead:
        change = {"id": RETURNS, "body": NEW}
        status, refused = await agent.post("/api/knowledge/article/edit", change)
        assert status == 403, refused
        status, missing_csrf = await lead.post(
            "/api/knowledge/article/edit", change, headers={"X-CSRF-Token": "wrong"}
        )
        assert status == 403, missing_csrf
        status, edited = await lead.post("/api/knowledge/article/edit", change)
        assert status == 200, edited
        assert edited["article"]["version"] == 2
        status, listing = await agent.get("/api/knowledge/articles?store=northwind")
        returns = next(a for a in listing["articles"] if a["id"] == RETURNS)
        assert (returns["version"], returns["body"]) == (2, NEW)

        status, retired = await lead.post(
            "/api/knowledge/article/edit", {"id": RETURNS, "status": "retired"}
        )
        assert status == 200, retired
        status, found = await agent.get("/api/knowledge/search?store=northwind&q=return%20item")
        assert RETURNS not in {h["article_id"] for h in found["hits"]}
        status, history = await agent.get(f"/api/knowledge/article?id={RETURNS}")
        assert [v["status"] for v in history["versions"]] == ["retired"] * 3


async def test_repeated_unanswered_questions_are_collected_as_a_gap(app, http):
    async with ConsoleClient(app, "sam") as lead:
        for n, text in enumerate(
            [
                "Do you have a shop in Paris?",
                "Is there a Paris store I can visit?",
                "Where is your Paris shop?",
            ]
        ):
            draft = await _ask(app, http, lead, f"g-{n}", f"gc-{n}", text)
            assert draft["confident"] is False
        status, found = await lead.get("/api/knowledge/gaps?store=northwind")
        assert status == 200, found
        [gap] = found["gaps"]
        assert gap["count"] == 3
        assert gap["examples"][0] == "Where is your Paris shop?"  # the newest first
        assert len(gap["examples"]) == 3
