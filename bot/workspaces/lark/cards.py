"""What the team sees in a store's Lark group: interactive cards (JSON 2.0) and plain text.

Customer text goes into `plain_text` elements, never `markdown`, so nothing a customer
writes can become a link or an @all. Buttons carry a small value (`press` + `ref`) that
comes back in the `card.action.trigger` callback; the edit form's input comes back as
`form_value`. Decided cards are re-rendered without buttons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.workspaces.thread_text import DELIVERY_LABEL, STATUS_LABEL, event_line

TEXT_LIMIT = 4000
INPUT_LIMIT = 1000  # the input component's own maximum
ELLIPSIS = "…"
EDIT_FORM = "edit_form"
EDIT_INPUT = "edited_text"


class Press(StrEnum):
    APPROVE = "approve"  # ref: draft
    SEND_EDIT = "send_edit"  # ref: draft; the text comes in the form's input
    ESCALATE = "escalate"  # ref: conversation
    TAKE_OVER = "take_over"  # ref: conversation


@dataclass(frozen=True)
class ButtonValue:
    press: Press
    ref: str

    def encode(self) -> dict[str, str]:
        return {"press": self.press.value, "ref": self.ref}

    @classmethod
    def parse(cls, value: object) -> ButtonValue | None:
        """None for anything that is not ours (other apps' cards, old buttons)."""
        if not isinstance(value, Mapping):
            return None
        try:
            press = Press(str(value.get("press")))
        except ValueError:
            return None
        ref = value.get("ref")
        if not isinstance(ref, str) or not ref.isalnum() or not 0 < len(ref) <= 40:
            return None
        return cls(press, ref)


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def text_content(text: str) -> dict[str, Any]:
    """`content` of a `msg_type: text` message."""
    return {"text": fit(text)}


def _plain(text: str) -> dict[str, Any]:
    return {"tag": "div", "text": {"tag": "plain_text", "content": fit(text)}}


def _card(title: str, template: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "config": {"update_multi": True},  # one card for everyone, so PATCH updates it for all
        "header": {
            "title": {"tag": "plain_text", "content": fit(title, 100)},
            "template": template,
        },
        "body": {"elements": elements},
    }


def root_card(conversation: Mapping[str, Any], store_name: str) -> dict[str, Any]:
    status = STATUS_LABEL.get(conversation["status"], conversation["status"])
    return _card(
        f"💬 {conversation['customer_name']} · {store_name}",
        "blue",
        [
            _plain(f"Via {conversation['channel_kind']} · Status: {status}"),
            _plain(
                "Reply in this thread to answer the customer; start with note: for an internal "
                "note, or edit: to send your text instead of the pending draft."
            ),
        ],
    )


def message_card(message: Mapping[str, Any], customer: str, author: str) -> dict[str, Any]:
    direction, text = message["direction"], message["text"]
    if direction == "in":
        return _card(f"{customer} wrote", "grey", [_plain(text)])
    if direction == "out":
        status = DELIVERY_LABEL.get(message.get("delivery_status") or "", "")
        return _card(f"↩️ Sent by {author} ({status})", "green", [_plain(text)])
    return _card(f"🔒 Internal note by {author}", "yellow", [_plain(text)])


def draft_card(
    draft: Mapping[str, Any], conversation_id: str, decided: str | None
) -> dict[str, Any]:
    confident = bool(draft["confident"])
    title = f"📝 Draft reply ({draft['route']}, {draft['language']})"
    if not confident:
        title = "📝 No grounded draft: write the reply yourself"
    elements: list[dict[str, Any]] = []
    if confident:
        elements.append(_plain(draft["text"]))
    if draft.get("risk_reasons"):
        elements.append(_plain("Risk: " + ", ".join(draft["risk_reasons"])))
    sources = ", ".join(
        str(c.get("title") or c.get("article_id")) for c in draft.get("citations") or []
    )
    if sources:
        elements.append(_plain(f"Sources: {sources}"))
    if draft["route"] == "review":
        elements.append(_plain("Needs a lead's approval."))
    if decided:
        elements.append(_plain(decided))
        return _card(title, "grey", elements)
    if confident:
        elements.append(_button("✅ Approve & send", Press.APPROVE, draft["id"], "primary_filled"))
        elements.append(_edit_form(draft))
    elements.append(_button("🚨 Escalate", Press.ESCALATE, conversation_id, "danger"))
    elements.append(_button("👤 Take over", Press.TAKE_OVER, conversation_id, "default"))
    return _card(title, "orange", elements)


def _edit_form(draft: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "tag": "form",
        "name": EDIT_FORM,
        "elements": [
            {
                "tag": "input",
                "name": EDIT_INPUT,
                "input_type": "multiline_text",
                "required": True,
                "max_length": INPUT_LIMIT,
                "default_value": fit(draft["text"] or "", INPUT_LIMIT),
                "label": {"tag": "plain_text", "content": "Edit before sending"},
            },
            {
                **_button("✏️ Edit & send", Press.SEND_EDIT, draft["id"], "default"),
                "name": "send_edit",
                "form_action_type": "submit",
            },
        ],
    }


def _button(label: str, press: Press, ref: str, kind: str) -> dict[str, Any]:
    return {
        "tag": "button",
        "text": {"tag": "plain_text", "content": label},
        "type": kind,
        "behaviors": [{"type": "callback", "value": ButtonValue(press, ref).encode()}],
    }


def event_text(event: Mapping[str, Any], actor: str) -> str | None:
    line = event_line(event, actor)
    return fit(line) if line else None
