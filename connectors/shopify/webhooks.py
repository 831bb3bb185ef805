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
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from bot.http import json_error
from bot.ports import Clock
from connectors.shopify.orders import order_fields
from storage.channel_rows import record_shop_event
from storage.database import Database

MAX_BODY_BYTES = 1024 * 1024
Update = Callable[[dict[str, str]], dict[str, str]]


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_ok(secret: str, header: str | None, body: bytes) -> bool:
    return bool(header) and hmac.compare_digest(sign(secret, body), (header or "").strip())


def _fulfillment_fields(fulfillment: dict[str, Any]) -> dict[str, str]:
    shipment = fulfillment.get("shipment_status")
    cancelled = fulfillment.get("status") in ("cancelled", "error")
    fields = {
        "status": "shipment cancelled"
        if cancelled
        else (str(shipment).replace("_", " ") if shipment else "shipped"),
        "carrier": fulfillment.get("tracking_company"),
        "tracking_number": fulfillment.get("tracking_number"),
        "tracking_url": fulfillment.get("tracking_url"),
        "shipped_at": fulfillment.get("created_at"),
    }
    return {k: str(v) for k, v in fields.items() if v not in (None, "")}


def _refund_total(refund: dict[str, Any]) -> Decimal:
    total = Decimal(0)
    for transaction in refund.get("transactions") or []:
        if transaction.get("kind") == "refund" and transaction.get("status") == "success":
            try:
                total += Decimal(str(transaction.get("amount", "0")))
            except InvalidOperation:
                continue
    return total


def _add_refund(amount: Decimal) -> Update:
    def update(before: dict[str, str]) -> dict[str, str]:
        try:
            so_far = Decimal(before.get("refunded_amount") or "0")
        except InvalidOperation:
            so_far = Decimal(0)
        return {"refunded_amount": f"{so_far + amount:.2f}"}

    return update


def interpret(topic: str, payload: dict[str, Any]) -> tuple[str, Update] | None:
    """The order an event is about and how it changes what we know; None for other topics."""
    if topic.startswith("orders/") and topic != "orders/delete":
        fields = order_fields(payload)
        return str(payload["id"]), lambda _before: fields
    if topic in ("fulfillments/create", "fulfillments/update"):
        fields = _fulfillment_fields(payload)
        return str(payload["order_id"]), lambda _before: fields
    if topic == "refunds/create":
        return str(payload["order_id"]), _add_refund(_refund_total(payload))
    return None


def shopify_webhook_routes(
    db: Database, secrets: Mapping[str, str], clock: Clock
) -> Callable[[web.Application], None]:
    """`secrets`: store id → the Shopify app secret that signs that shop's webhooks."""

    async def receive(request: web.Request) -> web.Response:
        store_id = request.match_info["store"]
        secret = secrets.get(store_id)
        if secret is None:
            return json_error(404, "unknown store")
        body = await request.content.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
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
        if change is None:
            return web.json_response({"status": "ignored", "topic": topic})
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
