"""Knowledge proposal cards in Slack, end to end through real slack-bolt and slack_sdk
against the fake Slack (every call checked against the Web API spec), on SQLite and
PostgreSQL: an agent's edit posts a card in the conversation's thread, only a lead decides,
the card shows the outcome, and a second decision is refused with one version made."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.workspaces.slack import blocks
from bot.workspaces.slack import knowledge_blocks as kb
from main import RunningApp
from tests.e2e import test_slack as slack_e2e
from tests.e2e.test_slack import STORE_CHANNEL, buttons, roots, wait_for_card
from tests.support.console_client import wait_until
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import button_press, post_interaction, view_submission
from tests.support.webhook_client import post_webhook, webhook_body

# The Slack suite's fixtures: a fake Slack, and the app wired to it in HTTP mode.
slack = slack_e2e.slack
slack_app = slack_e2e.slack_app

RETURNS = "northwind/faq/returns"
OLD = "Return unworn items within 30 days from your order page."
NEW = "Return unworn items within 60 days from your order page; the return label is free."


def kb_card(slack: FakeSlack) -> dict | None:
    for message in slack.messages(STORE_CHANNEL):
        key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        if key.startswith("kb:"):
            return message
    return None


async def query(app: RunningApp, sql: str) -> list:
    async with app.db.read_sessions() as session:
        return list((await session.execute(text(sql))).all())


async def press(app, http, slack, card: dict, action_id: str, user: str) -> None:
    value = buttons(card).get(action_id) or buttons(kb_card(slack) or card)[action_id]
    payload = button_press(
        user=user,
        channel=STORE_CHANNEL,
        action_id=action_id,
        value=value,
        message_ts=card["ts"],
        thread_ts=card["thread_ts"],
    )
    status, _ = await post_interaction(http, app.base_url, payload)
    assert status == 200


async def submit(app, http, user: str, callback_id: str, metadata: str, block: str, action: str,
                 value: str) -> tuple[int, str]:  # fmt: skip
    payload = view_submission(
        user=user,
        callback_id=callback_id,
        private_metadata=metadata,
        values={block: {action: {"type": "plain_text_input", "value": value}}},
    )
    return await post_interaction(http, app.base_url, payload)


async def edit_draft_into_a_proposal(app, http, slack, message_id: str) -> dict:
    """Ana edits the returns draft before sending it; the proposal card appears."""
    await post_webhook(http, app.base_url, webhook_body(message_id, "How do I return an item?"))
    await wait_until(lambda: slack_e2e.buttons_ready(slack, STORE_CHANNEL), within=30)
    card = await wait_for_card(slack)
    draft_id = buttons(card)[blocks.EDIT]
    [(draft_text,)] = await query(app, f"SELECT text FROM drafts WHERE id = '{draft_id}'")
    await press(app, http, slack, card, blocks.EDIT, "UANA")
    await wait_until(lambda: len(slack.opened_views) == 1)
    status, body = await submit(
        app, http, "UANA", blocks.EDIT_SUBMIT, draft_id, blocks.EDIT_INPUT_BLOCK,
        blocks.EDIT_INPUT_ACTION, draft_text.replace(OLD, NEW),
    )  # fmt: skip
    assert status == 200, body
    await wait_until(lambda: bool(buttons(kb_card(slack) or {"blocks": []})), within=30)
    found = kb_card(slack)
    assert found is not None
    return found


async def test_an_edit_posts_a_card_a_lead_accepts_and_the_next_draft_cites_it(
    slack_app, slack, http
):
    card = await edit_draft_into_a_proposal(slack_app, http, slack, "kb-1")
    assert set(buttons(card)) == {kb.KB_ACCEPT, kb.KB_EDIT, kb.KB_REJECT}
    assert card["thread_ts"] == roots(slack, STORE_CHANNEL)[0]["ts"]
    shown = str(card["blocks"])
    assert f"-{OLD}" in shown and f"+{NEW}" in shown  # the diff
    assert f"{RETURNS} v1" in shown and f"version 2 of {RETURNS}" in shown

    # An agent may not decide: refused in an ephemeral note, and audited.
    await press(slack_app, http, slack, card, kb.KB_ACCEPT, "UANA")
    await wait_until(lambda: len(slack.ephemeral_messages) == 1)
    assert "can't" in slack.ephemeral_messages[0]["text"]
    denied = await query(slack_app, "SELECT actor, payload FROM audit_events WHERE kind='denied'")
    assert [row.actor for row in denied] == ["ana"]
    assert "manage_knowledge" in str(denied[0].payload)

    # Two presses at once by the lead: one decision, one version, one "already decided".
    await asyncio.gather(
        press(slack_app, http, slack, card, kb.KB_ACCEPT, "USAM"),
        press(slack_app, http, slack, card, kb.KB_ACCEPT, "USAM"),
    )
    await wait_until(lambda: not buttons(kb_card(slack) or {"blocks": []}))
    await wait_until(lambda: len(slack.ephemeral_messages) == 2)
    assert "already decided" in slack.ephemeral_messages[1]["text"]
    assert "Accepted by Sam Lead" in kb_card(slack)["text"]
    versions = await query(
        slack_app, f"SELECT version, status, body FROM knowledge_articles WHERE id = '{RETURNS}'"
    )
    assert sorted((v.version, v.status) for v in versions) == [(1, "retired"), (2, "active")]
    assert next(v.body for v in versions if v.version == 2) == NEW

    # The next similar question is drafted from the new version.
    await post_webhook(
        http, slack_app.base_url, webhook_body("kb-2", "Can I send back an item?", "c-kb-2")
    )
    await wait_until(
        lambda: any(
            "60 days" in str(m.get("blocks")) and f"{RETURNS} v2" in str(m.get("blocks"))
            for m in slack.messages(STORE_CHANNEL)
        )
    )
    slack.assert_all_calls_valid()


async def test_edit_and_accept_makes_the_lead_text_the_new_version(slack_app, slack, http):
    card = await edit_draft_into_a_proposal(slack_app, http, slack, "kb-3")
    await press(slack_app, http, slack, card, kb.KB_EDIT, "USAM")
    await wait_until(lambda: len(slack.opened_views) == 2)
    modal = slack.opened_views[1]["view"]
    proposal_id = modal["private_metadata"]
    assert modal["callback_id"] == kb.KB_EDIT_SUBMIT
    assert modal["blocks"][1]["element"]["initial_value"] == NEW  # the suggestion, pre-filled
    lead_text = NEW + " Sale items are final."
    status, body = await submit(
        slack_app, http, "USAM", kb.KB_EDIT_SUBMIT, proposal_id, kb.KB_BODY_BLOCK,
        kb.KB_BODY_ACTION, lead_text,
    )  # fmt: skip
    assert status == 200, body
    await wait_until(lambda: not buttons(kb_card(slack) or {"blocks": []}))
    [row] = await query(
        slack_app,
        f"SELECT version, body, approver FROM knowledge_articles "
        f"WHERE id = '{RETURNS}' AND status = 'active'",
    )
    assert (row.version, row.body, row.approver) == (2, lead_text, "sam")
    # The same modal submitted again (a double click) is refused on the modal, no version.
    status, body = await submit(
        slack_app, http, "USAM", kb.KB_EDIT_SUBMIT, proposal_id, kb.KB_BODY_BLOCK,
        kb.KB_BODY_ACTION, lead_text + " Again.",
    )  # fmt: skip
    assert status == 200 and "already decided" in body
    assert (
        len(await query(slack_app, f"SELECT 1 FROM knowledge_articles WHERE id='{RETURNS}'")) == 2
    )
    slack.assert_all_calls_valid()


async def test_reject_with_a_reason_then_a_stale_press_is_told_it_is_decided(
    slack_app, slack, http
):
    card = await edit_draft_into_a_proposal(slack_app, http, slack, "kb-4")
    await press(slack_app, http, slack, card, kb.KB_REJECT, "USAM")
    await wait_until(lambda: len(slack.opened_views) == 2)
    proposal_id = slack.opened_views[1]["view"]["private_metadata"]
    status, body = await submit(
        slack_app, http, "USAM", kb.KB_REJECT_SUBMIT, proposal_id, kb.KB_NOTE_BLOCK,
        kb.KB_NOTE_ACTION, "only for the summer sale",
    )  # fmt: skip
    assert status == 200, body
    await wait_until(lambda: "Rejected by Sam Lead" in (kb_card(slack) or {}).get("text", ""))
    assert "only for the summer sale" in kb_card(slack)["text"]
    assert not buttons(kb_card(slack))
    await press(slack_app, http, slack, card, kb.KB_ACCEPT, "USAM")
    await wait_until(lambda: len(slack.ephemeral_messages) == 1)
    assert "already decided: rejected by sam" in slack.ephemeral_messages[0]["text"]
    [(versions,)] = await query(
        slack_app, f"SELECT count(*) FROM knowledge_articles WHERE id = '{RETURNS}'"
    )
    assert versions == 1
    slack.assert_all_calls_valid()
