"""Turns a verified webhook body into a domain command, naming the first bad field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain.commands import ReceiveCustomerMessage
from bot.domain.errors import InvalidInput
from bot.domain.text import is_valid_unicode

MAX_TEXT = 20_000
MAX_ID = 255
MAX_ATTACHMENTS = 20


def _string(container: dict[str, Any], name: str, path: str, max_length: int) -> str:
    value = container.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{path}: required, a non-empty string")
    if len(value) > max_length:
        raise InvalidInput(f"{path}: longer than {max_length} characters")
    if not is_valid_unicode(value):
        raise InvalidInput(f"{path}: contains invalid Unicode (lone surrogate)")
    return value


def _sent_at(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, ValueError, OSError):
            raise InvalidInput("sent_at: unix seconds out of range") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput("sent_at: not an ISO 8601 time") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidInput("sent_at: required, ISO 8601 text or unix seconds")


def _attachments(value: Any) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ATTACHMENTS:
        raise InvalidInput(f"attachments: a list of at most {MAX_ATTACHMENTS} objects")
    kept: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidInput(f"attachments[{index}]: must be an object")
        url = _string(item, "url", f"attachments[{index}].url", 2000)
        kept.append(
            {
                "url": url,
                "name": str(item.get("name", ""))[:255],
                "content_type": str(item.get("content_type", ""))[:100],
            }
        )
    return tuple(kept)


def parse_webhook_message(account_id: str, raw: bytes) -> ReceiveCustomerMessage:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("body: malformed JSON") from None
    except RecursionError:
        raise InvalidInput("body: JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise InvalidInput("body: must be a JSON object")
    customer = body.get("customer")
    if not isinstance(customer, dict):
        raise InvalidInput("customer: required, an object with id and name")
    return ReceiveCustomerMessage(
        channel_account_id=account_id,
        external_id=_string(body, "message_id", "message_id", MAX_ID),
        customer_external_id=_string(customer, "id", "customer.id", MAX_ID),
        customer_name=_string(customer, "name", "customer.name", 200),
        text=_string(body, "text", "text", MAX_TEXT),
        sent_at=_sent_at(body.get("sent_at")),
        attachments=_attachments(body.get("attachments")),
    )
