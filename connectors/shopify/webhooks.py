"""POST /shopify/webhooks/<store>: signed order, fulfilment and refund events teach us orders.

Shopify signs the raw body with the app's secret (`X-Shopify-Hmac-SHA256`, base64) and may
deliver an event more than once (same `X-Shopify-Event-Id`). A bad signature gets 401 and a
replay 200 "duplicate"; neither stores anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from aiohttp import web

from bot.http import json_error, read_body_capped
from bot.ports import Clock
from connectors.shopify.orders import (
    REFUND_PREFIX,
    fulfillment_fields,
    order_fields,
    refund_total,
)
from storage.channel_rows import record_shop_event
from storage.database import Database

MAX_BODY_BYTES = 1024 * 1024
Update = Callable[[dict[str, str]], dict[str, str]]
# (store id, topic, payload, shop domain) → a status when sales assist handled the event.
SalesEvent = Callable[[str, str, dict[str, Any], str], Awaitable[str | None]]


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_ok(secret: str, header: str | None, body: bytes) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), (header or "").strip())


def _with_refunds(fields: dict[str, str], refunds: list[dict[str, Any]]) -> Update:
    """Refunds are kept one entry per refund id, so an order update that lists a refund and
    the refund's own event never count it twice; the total is recomputed from the entries."""
    entries = {
        f"{REFUND_PREFIX}{refund['id']}": f"{refund_total(refund):.2f}"
        for refund in refunds
        if refund.get("id") is not None
    }

    def update(before: dict[str, str]) -> dict[str, str]:
        merged = {**before, **entries}
        total = sum(
            (Decimal(v) for k, v in merged.items() if k.startswith(REFUND_PREFIX)), Decimal(0)
        )
        return {**fields, **entries, "refunded_amount": f"{total:.2f}" if total else ""}

    return update


def interpret(topic: str, payload: dict[str, Any]) -> tuple[str, Update] | None:
    """The order an event is about and how it changes what we know; None for other topics."""
    if topic.startswith("orders/") and topic != "orders/delete":
        return str(payload["id"]), _with_refunds(
            order_fields(payload), payload.get("refunds") or []
        )
    if topic in ("fulfillments/create", "fulfillments/update"):
        return str(payload["order_id"]), _with_refunds(fulfillment_fields(payload), [])
    if topic == "refunds/create":
        return str(payload["order_id"]), _with_refunds({}, [payload])
    return None


def shopify_webhook_routes(
    db: Database, secrets: Mapping[str, str], clock: Clock, on_sales_event: SalesEvent | None = None
) -> Callable[[web.Application], None]:
    """`secrets`: store id → the Shopify app secret that signs that shop's webhooks."""

    async def receive(request: web.Request) -> web.Response:
        store_id = request.match_info["store"]
        secret = secrets.get(store_id)
        if secret is None:
            return json_error(404, "unknown store")
        body = await read_body_capped(request, MAX_BODY_BYTES)
        if body is None:
            return json_error(413, "body larger than 1 MiB")
        if not signature_ok(secret, request.headers.get("X-Shopify-Hmac-SHA256"), body):
            return json_error(401, "missing or wrong X-Shopify-Hmac-SHA256")
        event_id = request.headers.get("X-Shopify-Event-Id") or request.headers.get(
            "X-Shopify-Webhook-Id"
        )
        topic = request.headers.get("X-Shopify-Topic", "")
        if not event_id or not topic:
            return json_error(400, "X-Shopify-Event-Id and X-Shopify-Topic are required")
        try:
            payload = json.loads(body.decode("utf-8"))
            change = interpret(topic, payload) if isinstance(payload, dict) else None
        except (UnicodeDecodeError, ValueError, RecursionError):
            return json_error(400, "body: malformed JSON")
        except (KeyError, TypeError, AttributeError):
            return json_error(400, f"body: not a {topic} payload")
        if not isinstance(payload, dict):
            return json_error(400, "body: must be a JSON object")
        sales = None
        if on_sales_event is not None:
            domain = request.headers.get("X-Shopify-Shop-Domain", "")
            try:
                sales = await on_sales_event(store_id, topic, payload, domain)
            except (KeyError, TypeError, AttributeError, ValueError):
                return json_error(400, f"body: not a {topic} payload")
        if change is None:
            return web.json_response({"status": sales or "ignored", "topic": topic})
        order_id, update = change
        stored = await record_shop_event(
            db,
            store_id=store_id,
            event_id=event_id[:255],
            order_id=order_id[:64],
            update=update,
            now=clock.now(),
        )
        return web.json_response({"status": "stored" if stored else "duplicate"})

    def contribute(app: web.Application) -> None:
        app.router.add_post("/shopify/webhooks/{store}", receive)

    return contribute
