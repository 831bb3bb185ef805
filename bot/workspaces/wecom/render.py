"""What the team sees in WeCom: plain text in the store's group, a button card per draft.

Group texts have no threads, so each names its conversation (`#<first 8 of its id>`), the
reference members type in commands. WeCom caps a text at 2048 bytes; card fields are short
by WeCom's guidance, so they are cut here and the full text stays in the group message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEXT_LIMIT_BYTES = 2048
REF_LENGTH = 8
ELLIPSIS = "…"

STATUS_LABEL = {
    "open": "open",
    "waiting": "waiting for the customer",
    "review": "needs a lead's review",
    "escalated": "escalated",
    "taken_over": "taken over",
    "resolved": "resolved",
}
PRESSES = {"a": "approve", "e": "edit", "x": "escalate", "t": "take_over"}


def ref(conversation_id: str) -> str:
    return conversation_id[:REF_LENGTH]


def fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def fit_bytes(text: str, limit: int = TEXT_LIMIT_BYTES) -> str:
    if len(text.encode()) <= limit:
        return text
    cut = text.encode()[: limit - len(ELLIPSIS.encode())].decode(errors="ignore")
    return cut + ELLIPSIS


def commands_hint(conversation_id: str) -> str:
    short = ref(conversation_id)
    return (
        f"To answer, send the app: reply {short} <text> · edit {short} <text> (replaces the "
        f"draft) · note {short} <text> (internal)"
    )


def header_text(conversation: Mapping[str, Any], store_name: str) -> str:
    status = STATUS_LABEL.get(conversation["status"], conversation["status"])
    return fit_bytes(
        f"💬 #{ref(conversation['id'])} {conversation['customer_name']} · {store_name} · via "
        f"{conversation['channel_kind']} · {status}\n{commands_hint(conversation['id'])}"
    )


def message_text(message: Mapping[str, Any], conversation_id: str, who: str) -> str:
    tag = f"#{ref(conversation_id)}"
    if message["direction"] == "in":
        return fit_bytes(f"{tag} {who} wrote:\n{message['text']}")
    if message["direction"] == "out":
        return fit_bytes(f"{tag} ↩️ Sent to the customer by {who}:\n{message['text']}")
    return fit_bytes(f"{tag} 🔒 Internal note by {who} (not sent):\n{message['text']}")


def draft_text(draft: Mapping[str, Any], conversation_id: str) -> str:
    tag = f"#{ref(conversation_id)}"
    if not draft["confident"]:
        return fit_bytes(f"{tag} 📝 No grounded draft: write the reply yourself.")
    parts = [f"{tag} 📝 Draft reply ({draft['route']}, {draft['language']}):", draft["text"]]
    if draft.get("risk_reasons"):
        parts.append("Risk: " + ", ".join(draft["risk_reasons"]))
    sources = ", ".join(
        str(c.get("title") or c.get("article_id")) for c in draft.get("citations") or []
    )
    if sources:
        parts.append(f"Sources: {sources}")
    parts.append("Approve, edit, escalate or take over from the card the app sent you.")
    return fit_bytes("\n".join(parts))


def event_text(event: Mapping[str, Any], conversation_id: str, actor: str) -> str | None:
    payload = event.get("payload") or {}
    action = str(payload.get("action", "do that")).replace("_", " ")
    lines = {
        "escalated": f"🚨 Escalated by {actor}: {payload.get('reason') or ''}".rstrip(": "),
        "taken_over": f"👤 Taken over by {actor}",
        "resolved": f"✅ Resolved by {actor}",
        "reopened": f"🔄 Reopened by {actor}",
        "released": f"🤖 Released by {actor}: drafting resumes",
        "delivery_failed": f"❌ Not delivered to the customer: {payload.get('error') or ''}",
        "denied": f"⛔ {actor} was not allowed to {action}: {payload.get('reason') or ''}",
    }
    line = lines.get(event["kind"])
    return fit_bytes(f"#{ref(conversation_id)} {line}") if line else None


def task_id(draft_id: str) -> str:
    """One card per draft; WeCom wants task ids unique per app, of [0-9a-zA-Z_-@]."""
    return f"sd-{draft_id}"


def card(
    draft: Mapping[str, Any],
    conversation: Mapping[str, Any],
    store_name: str,
    status_line: str | None,
) -> dict[str, Any]:
    """A `button_interaction` template card: the draft (cut) and the four buttons."""
    conversation_id = conversation["id"]
    buttons = [
        {"text": "Escalate", "style": 2, "key": f"x:{conversation_id}"},
        {"text": "Take over", "style": 2, "key": f"t:{conversation_id}"},
    ]
    if draft["confident"]:
        buttons[:0] = [
            {"text": "Approve", "style": 1, "key": f"a:{draft['id']}"},
            {"text": "Edit", "style": 2, "key": f"e:{draft['id']}"},
        ]
    body = draft["text"] if draft["confident"] else "No grounded draft: write the reply yourself."
    if status_line:
        body = f"{status_line}\n{body}"
    return {
        "card_type": "button_interaction",
        "source": {"desc": fit(store_name, 13)},
        "main_title": {
            "title": fit(f"Draft for {conversation['customer_name']}", 26),
            "desc": fit(f"#{ref(conversation_id)} · {draft['route']}", 30),
        },
        "sub_title_text": fit(body, 112),
        "horizontal_content_list": [
            {"keyname": "Edit", "value": fit(f"edit {ref(conversation_id)} <text>", 26)}
        ],
        "task_id": task_id(draft["id"]),
        "button_list": buttons,
    }


def decided_label(draft: Mapping[str, Any], edited: bool, who: str) -> str:
    """The disabled button a decided card shows in place of its buttons."""
    if draft["status"] == "approved":
        return fit(f"{'Edited' if edited else 'Approved'} by {who}", 20)
    return "Set aside"
