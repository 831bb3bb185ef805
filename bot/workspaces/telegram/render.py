"""What the team sees in a store topic, as plain text (no parse mode, nothing to escape).

Telegram caps a message at 4096 characters and a caption at 1024; longer customer text is
cut with an ellipsis here, the full text stays in Storedesk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.sla import reminder_sentence
from bot.workspaces.telegram.callback_data import ButtonData, Press

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"

STATUS_LABEL = {
    "open": "🟢 open",
    "waiting": "⏳ waiting for the customer",
    "review": "🟠 needs review",
    "escalated": "🚨 escalated",
    "taken_over": "👤 taken over",
    "resolved": "✅ resolved",
}
DELIVERY_LABEL = {"queued": "queued", "sent": "delivered ✓", "failed": "NOT delivered ✗"}


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def parent_text(conversation: Mapping[str, Any], store_name: str) -> str:
    status = STATUS_LABEL.get(conversation["status"], conversation["status"])
    return fit(
        f"💬 {conversation['customer_name']} · {store_name} · via {conversation['channel_kind']}\n"
        f"Status: {status}\n"
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


def draft_text(draft: Mapping[str, Any], decided: str | None) -> str:
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
    return InlineKeyboardMarkup([row for row in (first_row, second_row) if row])


def confirm_edit_keyboard(draft_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button("📤 Send this edited reply", Press.SEND_EDIT, draft_id)]])


def event_text(event: Mapping[str, Any], actor: str) -> str | None:
    kind, payload = event["kind"], event.get("payload") or {}
    action = str(payload.get("action", "do that")).replace("_", " ")
    lines = {
        "escalated": f"🚨 Escalated by {actor}: {payload.get('reason') or ''}".rstrip(": "),
        "taken_over": f"👤 Taken over by {actor}",
        "resolved": f"✅ Resolved by {actor}",
        "reopened": f"🔄 Reopened by {actor}",
        "released": f"🤖 Released by {actor}: drafting resumes",
        "delivery_failed": f"❌ Delivery to the customer failed: {payload.get('error') or ''}",
        "denied": (f"⛔ {actor} was not allowed to {action}: {payload.get('reason') or ''}"),
        "sla_reminder": f"⏰ SLA reminder: {reminder_sentence(payload)}",
    }
    line = lines.get(kind)
    return fit(line) if line else None


def _button(label: str, press: Press, ref: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=ButtonData(press, ref).encode())
