"""Slack Block Kit rendering: valid for Slack, escaped, within limits, right buttons."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.workspaces.slack import blocks as sb

HOSTILE = "<!channel> click <https://evil.example|your order> & win <@U123>"


def _revalidate(blocks: list[dict[str, Any]]) -> None:
    """Parse the dicts back through slack_sdk and serialize again, which validates them."""
    assert 0 < len(blocks) <= sb.BLOCKS_LIMIT
    for block in Block.parse_all(blocks):
        block.to_dict()


def _texts(node: Any) -> list[str]:
    """Every `text` string in a block tree, mrkdwn or plain."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found += _texts(value)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item)
    return found


def _mrkdwn(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node)
        for value in node.values():
            found += _mrkdwn(value)
    elif isinstance(node, list):
        for item in node:
            found += _mrkdwn(item)
    return found


def _joined(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(_texts(blocks))


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) <= 1
    return {e["action_id"]: e for a in actions for e in a["elements"]}


def _assert_safe(fallback: str, blocks: list[dict[str, Any]]) -> None:
    for text in [fallback, *(m["text"] for m in _mrkdwn(blocks))]:
        assert "<!channel>" not in text
        assert "<https://evil" not in text
        assert "<@U123>" not in text
    for obj in _mrkdwn(blocks):
        assert obj.get("verbatim") is True
        assert len(obj["text"]) <= sb.TEXT_LIMIT


CONVERSATION: dict[str, Any] = {
    "id": "conv-1",
    "store_id": "s1",
    "status": "open",
    "customer_name": "Ana Lima",
    "channel_account_id": "web-1",
    "channel_kind": "webchat",
    "review_required": False,
    "assignee_id": None,
    "opened_at": "2024-05-01T10:00:00+00:00",
    "updated_at": "2024-05-01T10:00:00+00:00",
}

DRAFT: dict[str, Any] = {
    "id": "draft-1",
    "conversation_id": "conv-1",
    "text": "Your parcel ships within 2 days.",
    "route": "draft",
    "confident": True,
    "language": "en",
    "citations": [
        {"article_id": "kb-12", "version": 3, "title": "Shipping times", "score": 0.82},
        {"article_id": "kb-40", "version": 1, "title": "Returns", "score": 0.51},
    ],
    "risk_reasons": [],
    "note": "",
}


def test_action_ids_are_the_names_the_listeners_dispatch_on():
    assert (sb.APPROVE, sb.EDIT, sb.ESCALATE, sb.TAKE_OVER) == (
        "sd_approve",
        "sd_edit",
        "sd_escalate",
        "sd_take_over",
    )
    assert (sb.EDIT_SUBMIT, sb.ESCALATE_SUBMIT) == ("sd_edit_submit", "sd_escalate_submit")
    assert (sb.EDIT_INPUT_BLOCK, sb.EDIT_INPUT_ACTION) == ("sd_edit_text", "sd_edit_value")
    assert (sb.REASON_INPUT_BLOCK, sb.REASON_INPUT_ACTION) == ("sd_reason", "sd_reason_value")


# --- escaping and limits -------------------------------------------------------------


def test_escape_mrkdwn_neutralises_mentions_links_and_entities():
    assert sb.escape_mrkdwn("<!channel>") == "&lt;!channel&gt;"
    assert sb.escape_mrkdwn("<https://evil|x>") == "&lt;https://evil|x&gt;"
    assert sb.escape_mrkdwn("fish & chips") == "fish &amp; chips"
    # An entity the customer typed shows as typed, not decoded.
    assert sb.escape_mrkdwn("&lt;") == "&amp;lt;"


def test_long_text_is_cut_with_an_ellipsis_and_never_splits_an_entity():
    message = {"direction": "in", "text": "&" * 5000}
    fallback, blocks = sb.thread_message(message, customer_name="Ana", author_name=None)
    _revalidate(blocks)
    section = blocks[0]["text"]["text"]
    assert len(section) <= sb.TEXT_LIMIT
    assert section.endswith("&amp;" + sb.ELLIPSIS)
    assert len(fallback) <= sb.FALLBACK_LIMIT
    assert fallback.endswith("&amp;" + sb.ELLIPSIS)


def test_text_exactly_at_the_limit_is_not_cut():
    draft = {**DRAFT, "note": "n" * (sb.TEXT_LIMIT - len("*Drafter's note:* "))}
    _, blocks = sb.draft_card(draft, interactive=False, needs_supervisor=False)
    note = next(t for t in _texts(blocks) if t.startswith("*Drafter's note:*"))
    assert len(note) == sb.TEXT_LIMIT
    assert not note.endswith(sb.ELLIPSIS)


def test_fallback_text_stays_within_slacks_limit():
    draft = {**DRAFT, "text": "word " * 2000}
    fallback, blocks = sb.draft_card(draft, interactive=True, needs_supervisor=True)
    _revalidate(blocks)
    assert len(fallback) <= sb.FALLBACK_LIMIT
    assert fallback.endswith(sb.ELLIPSIS)


def test_not_allowed_text_explains_and_escapes():
    text = sb.not_allowed_text("clients may only read <!here>")
    assert text.startswith(":no_entry:")
    assert "clients may only read &lt;!here&gt;" in text
    assert len(sb.not_allowed_text("x" * 10_000)) <= sb.FALLBACK_LIMIT


# --- parent message --------------------------------------------------------------------


def test_parent_message_shows_customer_store_origin_history_and_status():
    conversation = {**CONVERSATION, "assignee_id": "m-7", "assignee_name": "Bo"}
    fallback, blocks = sb.parent_message(conversation, store_name="Sunny Socks", history_count=3)
    _revalidate(blocks)
    text = _joined(blocks)
    assert blocks[0]["text"]["text"] == "*New conversation · Ana Lima*"
    assert "Sunny Socks" in text
    assert "Web chat (account web-1)" in text
    assert "3 earlier conversations across stores" in text
    assert ":large_blue_circle: *Open*" in text
    assert "Assigned to Bo" in text
    assert "lost" not in text
    assert fallback == "New conversation · Ana Lima · Sunny Socks · Open"


def test_parent_message_says_first_contact_and_unassigned():
    _, blocks = sb.parent_message(CONVERSATION, store_name="Sunny Socks", history_count=0)
    text = _joined(blocks)
    assert "first contact" in text
    assert "Unassigned" in text


@pytest.mark.parametrize(
    ("status", "emoji"),
    [
        ("open", ":large_blue_circle:"),
        ("waiting", ":hourglass_flowing_sand:"),
        ("review", ":eyes:"),
        ("escalated", ":rotating_light:"),
        ("taken_over", ":bust_in_silhouette:"),
        ("resolved", ":white_check_mark:"),
    ],
)
def test_parent_message_has_an_emoji_per_status(status: str, emoji: str):
    conversation = {**CONVERSATION, "status": status}
    _, blocks = sb.parent_message(conversation, store_name="S", history_count=1)
    _revalidate(blocks)
    assert f"{emoji} *{sb.STATUS_LABEL[status]}*" in _joined(blocks)
    assert "1 earlier conversation across stores" in _joined(blocks)


def test_parent_message_links_the_thread_that_was_lost():
    link = "https://acme.slack.com/archives/C1/p123?thread_ts=1&cid=C1"
    _, blocks = sb.parent_message(
        CONVERSATION, store_name="S", history_count=0, previous_permalink=link
    )
    _revalidate(blocks)
    assert blocks[-1]["text"]["text"] == (
        "Continues a thread that was lost: "
        "<https://acme.slack.com/archives/C1/p123?thread_ts=1&amp;cid=C1|previous thread>"
    )


def test_parent_message_does_not_link_anything_but_http():
    _, blocks = sb.parent_message(
        CONVERSATION, store_name="S", history_count=0, previous_permalink="javascript:<x>"
    )
    assert blocks[-1]["text"]["text"].endswith("javascript:&lt;x&gt;")


def test_parent_message_escapes_names_and_keeps_them_on_one_line():
    conversation = {**CONVERSATION, "customer_name": "<!channel>\nboss", "review_required": True}
    fallback, blocks = sb.parent_message(conversation, store_name=HOSTILE, history_count=0)
    _revalidate(blocks)
    _assert_safe(fallback, blocks)
    assert blocks[0]["text"]["text"] == "*New conversation · &lt;!channel&gt; boss*"
    assert "Needs a lead's approval" in _joined(blocks)


# --- thread messages -------------------------------------------------------------------


def test_customer_message_is_quoted_and_cannot_ping_or_inject_links():
    message = {"direction": "in", "text": f"hi\n{HOSTILE}"}
    fallback, blocks = sb.thread_message(message, customer_name="<!here>", author_name=None)
    _revalidate(blocks)
    _assert_safe(fallback, blocks)
    assert blocks[0]["text"]["text"] == (
        "*&lt;!here&gt;* wrote:\n> hi\n> &lt;!channel&gt; click "
        "&lt;https://evil.example|your order&gt; &amp; win &lt;@U123&gt;"
    )
    assert "&lt;!channel&gt;" in fallback


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("queued", "Queued for delivery"),
        ("sent", ":white_check_mark: Sent"),
        ("failed", ":x: Delivery failed"),
    ],
)
def test_outbound_reply_names_the_sender_and_shows_delivery(status: str, label: str):
    message = {"direction": "out", "text": "Thanks & bye", "delivery_status": status}
    fallback, blocks = sb.thread_message(message, customer_name="Ana", author_name="Bo")
    _revalidate(blocks)
    assert blocks[0]["text"]["text"] == ":outbox_tray: *Sent to customer by Bo*\nThanks &amp; bye"
    assert label in blocks[1]["elements"][0]["text"]
    assert fallback == "Sent to customer by Bo: Thanks &amp; bye"


def test_auto_sent_reply_says_storedesk_sent_it():
    message = {"direction": "out", "text": "Hello", "delivery_status": None}
    _, blocks = sb.thread_message(message, customer_name="Ana", author_name=None)
    assert len(blocks) == 1
    assert "Sent to customer by Storedesk (auto-sent)" in blocks[0]["text"]["text"]


def test_note_is_unmistakably_internal():
    message = {"direction": "note", "text": "refund is fine <!channel>"}
    fallback, blocks = sb.thread_message(message, customer_name="Ana", author_name="Bo")
    _revalidate(blocks)
    _assert_safe(fallback, blocks)
    text = blocks[0]["text"]["text"]
    assert text.startswith(":lock: *Internal note by Bo* · _not sent to the customer_\n> ")
    assert "Internal note by Bo (not sent to the customer)" in fallback


def test_empty_message_still_renders_a_valid_block():
    _, blocks = sb.thread_message(
        {"direction": "in", "text": "  "}, customer_name="Ana", author_name=None
    )
    _revalidate(blocks)
    assert "_(no text)_" in blocks[0]["text"]["text"]


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        sb.thread_message(
            {"direction": "sideways", "text": "x"}, customer_name="A", author_name=None
        )


# --- draft card ------------------------------------------------------------------------


def test_interactive_confident_draft_has_all_four_buttons_with_ids_and_values():
    fallback, blocks = sb.draft_card(DRAFT, interactive=True, needs_supervisor=False)
    _revalidate(blocks)
    buttons = _buttons(blocks)
    assert list(buttons) == [sb.APPROVE, sb.EDIT, sb.ESCALATE, sb.TAKE_OVER]
    assert buttons[sb.APPROVE]["text"]["text"] == "Approve & send"
    assert buttons[sb.APPROVE]["style"] == "primary"
    assert buttons[sb.ESCALATE]["style"] == "danger"
    assert "style" not in buttons[sb.EDIT]
    assert buttons[sb.APPROVE]["value"] == buttons[sb.EDIT]["value"] == "draft-1"
    assert buttons[sb.ESCALATE]["value"] == buttons[sb.TAKE_OVER]["value"] == "conv-1"
    assert blocks[0]["text"]["text"] == (
        ":robot_face: *Suggested reply*\n> Your parcel ships within 2 days."
    )
    assert fallback == "AI draft: Your parcel ships within 2 days."


def test_conversation_id_can_be_passed_when_the_draft_dict_lacks_it():
    draft = {k: v for k, v in DRAFT.items() if k != "conversation_id"}
    _, blocks = sb.draft_card(
        draft, interactive=True, needs_supervisor=False, conversation_id="conv-9"
    )
    assert _buttons(blocks)[sb.TAKE_OVER]["value"] == "conv-9"
    with pytest.raises(ValueError, match="conversation id"):
        sb.draft_card(draft, interactive=True, needs_supervisor=False)


def test_draft_card_shows_language_route_risk_and_cited_knowledge():
    draft = {**DRAFT, "route": "review", "risk_reasons": ["refund", "angry customer"]}
    _, blocks = sb.draft_card(draft, interactive=True, needs_supervisor=False)
    context = next(b for b in blocks if b["type"] == "context" and len(b["elements"]) == 4)
    texts = [e["text"] for e in context["elements"]]
    assert texts == [
        "*Language:* en",
        "*Route:* review by a lead",
        "*Risk:* refund, angry customer",
        "*Cites:* Shipping times (kb-12 v3); Returns (kb-40 v1)",
    ]


def test_draft_card_without_risk_or_knowledge_says_so():
    draft = {**DRAFT, "citations": [], "risk_reasons": []}
    _, blocks = sb.draft_card(draft, interactive=False, needs_supervisor=False)
    text = _joined(blocks)
    assert "*Risk:* none" in text
    assert "*Cites:* no knowledge cited" in text


def test_unconfident_draft_asks_for_a_human_answer_and_cannot_be_approved():
    draft = {**DRAFT, "text": "", "confident": False, "note": "nothing about customs fees"}
    fallback, blocks = sb.draft_card(draft, interactive=True, needs_supervisor=False)
    _revalidate(blocks)
    assert blocks[0]["text"]["text"] == (
        ":grey_question: *No confident answer in the knowledge base*"
        " — reply in this thread to answer"
    )
    assert "*Drafter's note:* nothing about customs fees" in _joined(blocks)
    assert list(_buttons(blocks)) == [sb.EDIT, sb.ESCALATE, sb.TAKE_OVER]
    assert "no confident answer" in fallback


def test_client_mirror_never_gets_buttons():
    for draft in (DRAFT, {**DRAFT, "confident": False}):
        _, blocks = sb.draft_card(draft, interactive=False, needs_supervisor=True)
        _revalidate(blocks)
        assert _buttons(blocks) == {}
        assert "reply in this thread" not in _joined(blocks)


def test_draft_needing_a_lead_says_so_clearly():
    fallback, blocks = sb.draft_card(DRAFT, interactive=True, needs_supervisor=True)
    _revalidate(blocks)
    assert ":warning: *Needs a lead's approval*" in _joined(blocks)
    assert "needs a lead's approval" in fallback
    _, plain = sb.draft_card(DRAFT, interactive=True, needs_supervisor=False)
    assert "lead's approval" not in _joined(plain)


@pytest.mark.parametrize("action", ["approved", "edited", "escalated", "taken over", "discarded"])
def test_decided_card_replaces_buttons_with_who_did_what(action: str):
    decided = {"action": action, "by": "Bo <!here>", "at": "2024-05-01T10:30:00+00:00"}
    fallback, blocks = sb.draft_card(
        DRAFT, interactive=True, needs_supervisor=True, decided=decided
    )
    _revalidate(blocks)
    assert _buttons(blocks) == {}
    line = blocks[-1]["text"]["text"]
    label = action[0].upper() + action[1:]
    assert f"*{label}* by Bo &lt;!here&gt; at <!date^1714559400^" in line
    assert line.endswith("|2024-05-01 10:30 UTC>")
    assert fallback == f"{label} by Bo &lt;!here&gt; at 2024-05-01 10:30 UTC"
    assert "lead's approval" not in _joined(blocks)


def test_draft_text_from_the_model_is_escaped_too():
    draft = {**DRAFT, "text": HOSTILE, "note": "<!everyone>"}
    fallback, blocks = sb.draft_card(draft, interactive=True, needs_supervisor=False)
    _revalidate(blocks)
    _assert_safe(fallback, blocks)
    assert "<!everyone>" not in _joined(blocks)


def test_overlong_ids_fail_loudly_instead_of_being_cut():
    with pytest.raises(ValueError, match="button value"):
        sb.draft_card({**DRAFT, "id": "d" * 2001}, interactive=True, needs_supervisor=False)


def test_many_citations_are_cut_to_fit():
    citations = [
        {"article_id": f"kb-{i}", "version": 1, "title": "A long policy title " * 3}
        for i in range(200)
    ]
    _, blocks = sb.draft_card(
        {**DRAFT, "citations": citations}, interactive=True, needs_supervisor=False
    )
    _revalidate(blocks)
    cites = next(t for t in _texts(blocks) if t.startswith("*Cites:*"))
    assert len(cites) <= sb.TEXT_LIMIT
    assert cites.endswith(sb.ELLIPSIS)


# --- event lines -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        (
            "escalated",
            {"reason": "chargeback <!channel>"},
            "*Escalated* by Bo: chargeback &lt;!channel&gt;",
        ),
        ("taken_over", {}, ":bust_in_silhouette: *Taken over* by Bo"),
        ("resolved", {}, ":white_check_mark: *Resolved* by Bo"),
        ("assigned", {"before": None, "after": "ana"}, "*Assigned* to ana by Bo"),
        ("reopened", {}, ":arrows_counterclockwise: *Reopened* by Bo"),
        (
            "delivery_failed",
            {"error": "403 blocked by user"},
            "*Delivery to the customer failed*: 403 blocked by user",
        ),
        (
            "denied",
            {"action": "send_reply", "reason": "clients may only read"},
            ":no_entry: Bo was *not allowed* to send reply: clients may only read",
        ),
    ],
)
def test_event_line_for_audit_kinds_worth_showing(
    kind: str, payload: dict[str, Any], expected: str
):
    event = {
        "seq": 1,
        "kind": kind,
        "actor": "m-1",
        "at": "2024-05-01T10:30:00",
        "payload": payload,
    }
    rendered = sb.event_line(event, actor_name="Bo")
    assert rendered is not None
    fallback, blocks = rendered
    _revalidate(blocks)
    _assert_safe(fallback, blocks)
    assert [b["type"] for b in blocks] == ["context"]
    text = blocks[0]["elements"][0]["text"]
    assert expected in text
    assert text.endswith("|2024-05-01 10:30 UTC>")


@pytest.mark.parametrize("kind", ["noted", "replied", "reviewed", "draft_created"])
def test_event_line_skips_other_kinds(kind: str):
    assert sb.event_line({"kind": kind, "payload": {}, "at": None}, actor_name="Bo") is None


def test_event_line_cuts_a_huge_error():
    event = {"kind": "delivery_failed", "payload": {"error": "x" * 9000}, "at": None}
    rendered = sb.event_line(event, actor_name="worker")
    assert rendered is not None
    _, blocks = rendered
    _revalidate(blocks)
    text = blocks[0]["elements"][0]["text"]
    assert len(text) <= sb.TEXT_LIMIT
    assert text.endswith(sb.ELLIPSIS)


# --- modals ----------------------------------------------------------------------------


def _input(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_edit_modal_is_prefilled_with_the_draft_text():
    text = "Hello Ana,\nyour parcel & invoice <ship> today."
    view = sb.edit_modal("draft-1", text)
    View(**view).to_dict()
    assert view["type"] == "modal"
    assert view["callback_id"] == sb.EDIT_SUBMIT
    assert view["private_metadata"] == "draft-1"
    assert view["submit"]["text"] == "Send to customer"
    assert view["close"]["text"] == "Cancel"
    block = _input(view, sb.EDIT_INPUT_BLOCK)
    element = block["element"]
    assert element["action_id"] == sb.EDIT_INPUT_ACTION
    assert element["multiline"] is True
    assert element["initial_value"] == text  # plain text: no escaping
    assert block.get("optional", False) is False
    assert len(view["blocks"]) == 1


def test_edit_modal_shortens_a_draft_longer_than_slack_allows_and_says_so():
    view = sb.edit_modal("draft-1", "a" * 5000)
    View(**view).to_dict()
    value = _input(view, sb.EDIT_INPUT_BLOCK)["element"]["initial_value"]
    assert len(value) == sb.INPUT_LIMIT
    assert value.endswith(sb.ELLIPSIS)
    assert "shortened" in _joined(view["blocks"])


def test_edit_modal_for_an_empty_draft_has_no_initial_value():
    view = sb.edit_modal("draft-1", "")
    View(**view).to_dict()
    assert "initial_value" not in _input(view, sb.EDIT_INPUT_BLOCK)["element"]


def test_escalate_modal_requires_a_reason():
    view = sb.escalate_modal("conv-1")
    View(**view).to_dict()
    assert view["callback_id"] == sb.ESCALATE_SUBMIT
    assert view["private_metadata"] == "conv-1"
    block = _input(view, sb.REASON_INPUT_BLOCK)
    assert block["element"]["action_id"] == sb.REASON_INPUT_ACTION
    assert block.get("optional", False) is False
    assert block["element"]["min_length"] == 1
