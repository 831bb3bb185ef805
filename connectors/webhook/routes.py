"""POST /hooks/<account>: verify, parse, hand over; nothing is stored for a rejected request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from aiohttp import web

from bot.domain.attribution import OrderPlaced
from bot.http import json_error, read_body_capped
from bot.services.intake import IntakeResult
from bot.services.messagebus import MessageBus
from connectors.webhook import WebhookAccount
from connectors.webhook.orders import order_event, parse_order
from connectors.webhook.parse import parse_webhook_message
from connectors.webhook.signature import SignatureError, verify

MAX_BODY_BYTES = 1024 * 1024
OnOrder = Callable[[OrderPlaced], Awaitable[str]]  # → "attributed", "duplicate", "unmatched"


def webhook_routes(
    bus: MessageBus,
    accounts: Mapping[str, WebhookAccount],
    now: Callable[[], float] = time.time,
    on_order: OnOrder | None = None,
    order_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    tracking_param: str = "sd_ref",
) -> Callable[[web.Application], None]:
    async def receive(request: web.Request) -> web.Response:
        account = accounts.get(request.match_info["account"])
        if account is None:
            return json_error(404, "unknown account")
        body = await read_body_capped(request, MAX_BODY_BYTES)
        if body is None:
            return json_error(413, "body larger than 1 MiB")
        try:
            verify(
                account.secret,
                request.headers.get("X-Storedesk-Timestamp"),
                request.headers.get("X-Storedesk-Signature"),
                body,
                now(),
            )
        except SignatureError as problem:
            return json_error(401, str(problem))
        order = order_event(body)
        if order is not None:
            if on_order is None:
                return json_error(404, "order events are not enabled")
            placed = parse_order(account.store_id, order, tracking_param, order_clock())
            return web.json_response({"status": await on_order(placed)}, status=200)
        command = parse_webhook_message(account.id, body)
        result: IntakeResult = await bus.handle(command)
        if result.duplicate:
            return web.json_response({"status": "duplicate"}, status=200)
        return web.json_response(
            {"status": "accepted", "message_id": result.message_id}, status=202
        )

    def contribute(app: web.Application) -> None:
        app.router.add_post("/hooks/{account}", receive)

    return contribute
