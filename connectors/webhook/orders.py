"""The signed webhook's `order` event: a marketplace tells us an order was placed.

Body: {"type": "order", "order": {"id", "total", "currency", "email", "phone",
"landing_url" or "tag", "created_at"}}; the account names the store.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.attribution import OrderPlaced
from bot.domain.catalog import valid_price
from bot.domain.errors import InvalidInput
from bot.domain.shopping import tag_in_url
from connectors.shopify.sales import parse_time


def order_event(raw: bytes) -> dict[str, Any] | None:
    """The `order` object when the body is an order event; None for a customer message."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None  # the message parser names the problem
    if not isinstance(body, dict) or body.get("type") != "order":
        return None
    order = body.get("order")
    if not isinstance(order, dict):
        raise InvalidInput("order: required, an object")
    return order


def parse_order(
    store_id: str, order: dict[str, Any], tracking_param: str, now: datetime
) -> OrderPlaced:
    order_id = order.get("id")
    if not isinstance(order_id, str | int) or isinstance(order_id, bool) or not str(order_id):
        raise InvalidInput("order.id: required, a string or number")
    total = str(order.get("total", "0"))
    if not valid_price(total):
        raise InvalidInput("order.total: must be a non-negative number")
    tags = [
        str(order.get("tag") or ""),
        tag_in_url(str(order.get("landing_url") or ""), tracking_param),
    ]
    return OrderPlaced(
        store_id=store_id,
        order_id=str(order_id)[:64],
        placed_at=parse_time(order.get("created_at"), now),
        amount=total,
        currency=str(order.get("currency") or "")[:8].upper(),
        email=str(order.get("email") or "")[:255],
        phone=str(order.get("phone") or "")[:40],
        tags=tuple(t[:32] for t in tags if t),
    )
