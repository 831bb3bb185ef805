"""What the team sees in a store topic, as plain text (no parse mode, nothing to escape).

Telegram caps a message at 4096 characters and a caption at 1024; longer customer text is
cut with an ellipsis here, the full text stays in Storedesk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.workspaces.telegram.callback_data import ButtonData, Press
from bot.workspaces.thread_text import DELIVERY_LABEL, STATUS_LABEL, event_line
from knowledge.proposal_cards import ProposalCard, decision_text, source_line, target_line

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def parent_text(
    conversation: Mapping[str, Any], store_name: str, profile_line: str | None = None
) -> str:
    status = STATUS_LABEL.get(conversation["status"], conversation["status"])
    history = f"History: {profile_line}\n" if profile_line else ""
    return fit(
        f"💬 {conversation['customer_name']} · {store_name} · via {conversation['channel_kind']}\n"
        f"Status: {status}\n"
        f"{history}"
        "Reply to a customer message to answer them; start with note: for an internal note."
    )


def message_text(message: Mapping[str, Any], customer: str, author: str) -> str:
    direction, text = message["direction"], message["text"]
    if direction == "in":
        return fit(f"{customer} wrote:\n{text}")
    if direction == "out":
        status = DELIVERY_LABEL.get(message.get("delivery_status") or "", "")
        return fit(f"↩️ Sent to the customer by {author} ({status}):\n{text}")
    return fit(f"🔒 Internal note by {author} (not sent to the customer):\n{text}")


def media_caption(attachment: Mapping[str, Any], customer: str) -> str:
    return fit(f"📎 {attachment.get('kind', 'file')} from {customer}", CAPTION_LIMIT)


def skipped_media_text(attachment: Mapping[str, Any], customer: str) -> str:
    return f"📎 {customer} sent a {attachment.get('kind', 'file')}: {attachment.get('skipped')}"


PILOT_DRAFT = (
    "🔒 Pilot mode: an AI draft waits for a lead in the console's review queue; only leads "
    "see it, and nothing is sent without them."
)


def draft_text(draft: Mapping[str, Any], decided: str | None, *, pilot: bool = False) -> str:
    if pilot and not decided:
        return PILOT_DRAFT
    head = f"📝 Draft reply ({draft['route']}, {draft['language']})"
    if not draft["confident"]:
        head = "📝 No grounded draft: write the reply yourself"
    sources = ", ".join(
        str(c.get("title") or c.get("article_id")) for c in draft.get("citations") or []
    )
    parts = [head]
    if draft["confident"]:
        parts.append(draft["text"])
    if draft.get("risk_reasons"):
        parts.append("Risk: " + ", ".join(draft["risk_reasons"]))
    if sources:
        parts.append(f"Sources: {sources}")
    if decided:
        parts.append(decided)
    elif draft["confident"]:
        parts.append("To change it, reply to this card with the new text.")
    return fit("\n\n".join(parts))


def draft_keyboard(draft: Mapping[str, Any], conversation_id: str) -> InlineKeyboardMarkup:
    first_row = []
    if draft["confident"]:
        first_row = [
            _button("✅ Approve & send", Press.APPROVE, draft["id"]),
            _button("✏️ Edit", Press.EDIT, draft["id"]),
        ]
    second_row = [
        _button("🚨 Escalate", Press.ESCALATE, conversation_id),
        _button("👤 Take over", Press.TAKE_OVER, conversation_id),
    ]
    third_row = (
        [_button("✋ Cancel auto-send", Press.CANCEL_AUTO, draft["id"])]
        if draft["route"] == "auto"
        else []
    )
    return InlineKeyboardMarkup([row for row in (first_row, second_row, third_row) if row])


def confirm_edit_keyboard(draft_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button("📤 Send this edited reply", Press.SEND_EDIT, draft_id)]])


def proposal_text(card: ProposalCard, names: Mapping[str, str]) -> str:
    editor = names.get(card.created_by, card.created_by)
    diff = "\n".join(
        line for line in card.diff.splitlines() if not line.startswith(("---", "+++", "@@"))
    )
    parts = [
        f"📚 Knowledge update proposed from {editor}'s edit",
        f"Source: {source_line(card)}",
        f"Draft → sent:\n{fit(diff, 1500)}",
        f"Suggested {target_line(card)}: {card.suggested_title}\n{fit(card.suggested_body, 1800)}",
    ]
    if card.open:
        parts.append(
            "Only a lead of this store decides. To change the text, reply to this card with "
            "the new text; reply “reject: reason” to reject with a reason."
        )
    else:
        parts.append(decision_text(card, names))
    return fit("\n\n".join(parts))


def proposal_keyboard(card: ProposalCard) -> InlineKeyboardMarkup | None:
    if not card.open:
        return None
    return InlineKeyboardMarkup(
        [
            [
                _button("✅ Accept", Press.KB_ACCEPT, card.id),
                _button("✏️ Edit & accept", Press.KB_EDIT, card.id),
            ],
            [_button("❌ Reject", Press.KB_REJECT, card.id)],
        ]
    )


def confirm_proposal_keyboard(proposal_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button("✅ Accept this text", Press.KB_ACCEPT_EDIT, proposal_id)]]
    )


def event_text(event: Mapping[str, Any], actor: str) -> str | None:
    line = event_line(event, actor)
    return fit(line) if line else None


def _button(label: str, press: Press, ref: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=ButtonData(press, ref).encode())
