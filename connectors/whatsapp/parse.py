"""A verified WhatsApp webhook body as customer messages, naming the first bad field.

Shape (WhatsApp Cloud API webhooks, field `messages`):
`{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
"value": {"metadata": {"phone_number_id"}, "contacts": [{"wa_id", "profile": {"name"}}],
"messages": [{"from", "id", "timestamp", "type", "text": {"body"} | "image": {...}}],
"statuses": [...]}}]}]}`. Delivery statuses carry no customer text and are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.commands import ReceiveCustomerMessage
from bot.domain.errors import InvalidInput
from bot.domain.text import is_valid_unicode

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Inbound:
    command: ReceiveCustomerMessage
    wa_id: str
    sent_at: datetime


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{path}: must be an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{path}: must be a list")
    return value


def _string(value: Any, path: str, max_length: int = 255) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise InvalidInput(f"{path}: required, a non-empty string of at most {max_length}")
    if not is_valid_unicode(value):
        raise InvalidInput(f"{path}: contains invalid Unicode (lone surrogate)")
    return value


def _content(message: dict[str, Any], api_url: str, path: str) -> tuple[str, list[dict[str, Any]]]:
    kind = message.get("type")
    if kind == "text":
        body = _object(message.get("text"), f"{path}.text")
        return _string(body.get("body"), f"{path}.text.body", MAX_TEXT), []
    if kind in MEDIA_TYPES:
        media = _object(message.get(kind), f"{path}.{kind}")
        media_id = _string(media.get("id"), f"{path}.{kind}.id")
        attachment = {
            "url": f"{api_url.rstrip('/')}/{media_id}",
            "name": str(media.get("filename") or f"{kind}-{media_id}")[:255],
            "content_type": str(media.get("mime_type") or "")[:100],
        }
        caption = media.get("caption")
        text = caption if isinstance(caption, str) and caption.strip() else f"[{kind}]"
        return text[:MAX_TEXT], [attachment]
    if kind == "button":
        button = _object(message.get("button"), f"{path}.button")
        return _string(button.get("text"), f"{path}.button.text", MAX_TEXT), []
    return f"[{kind or 'unknown'} message: not shown here, open WhatsApp to see it]", []


def parse_whatsapp(account_id: str, api_url: str, raw: bytes) -> list[Inbound]:
    """Every customer message in the body, or InvalidInput before anything is handed over."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("body: malformed JSON") from None
    except RecursionError:
        raise InvalidInput("body: JSON nested too deeply") from None
    body = _object(body, "body")
    if body.get("object") != "whatsapp_business_account":
        raise InvalidInput("object: must be whatsapp_business_account")
    found: list[Inbound] = []
    for e, entry in enumerate(_list(body.get("entry"), "entry")):
        entry = _object(entry, f"entry[{e}]")
        for c, change in enumerate(_list(entry.get("changes"), f"entry[{e}].changes")):
            path = f"entry[{e}].changes[{c}]"
            change = _object(change, path)
            if change.get("field") != "messages":
                continue
            value = _object(change.get("value"), f"{path}.value")
            names = {
                str(contact.get("wa_id")): str((contact.get("profile") or {}).get("name") or "")
                for contact in _list(value.get("contacts"), f"{path}.value.contacts")
                if isinstance(contact, dict)
            }
            for m, message in enumerate(_list(value.get("messages"), f"{path}.value.messages")):
                where = f"{path}.value.messages[{m}]"
                message = _object(message, where)
                wa_id = _string(message.get("from"), f"{where}.from", 64)
                try:
                    sent_at = datetime.fromtimestamp(int(message.get("timestamp", "")), UTC)
                except (TypeError, ValueError, OverflowError, OSError):
                    raise InvalidInput(f"{where}.timestamp: unix seconds required") from None
                text, attachments = _content(message, api_url, where)
                command = ReceiveCustomerMessage(
                    channel_account_id=account_id,
                    external_id=_string(message.get("id"), f"{where}.id"),
                    customer_external_id=wa_id,
                    customer_name=(names.get(wa_id) or "").strip()[:200] or f"+{wa_id}",
                    text=text,
                    sent_at=sent_at,
                    attachments=tuple(attachments),
                )
                found.append(Inbound(command, wa_id, sent_at))
    return found
