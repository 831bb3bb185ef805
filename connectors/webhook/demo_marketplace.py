"""A stand-in marketplace for the demo: receives signed replies so the loop can be seen."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from bot.http import json_error
from connectors.webhook import WebhookAccount
from connectors.webhook.signature import SignatureError, verify

KEEP = 50


def demo_marketplace_routes(
    accounts: Mapping[str, WebhookAccount],
) -> Callable[[web.Application], None]:
    """POST /demo/marketplace/<account> checks the signature like a real receiver would."""
    received: deque[dict[str, Any]] = deque(maxlen=KEEP)
    seen_keys: set[str] = set()

    async def receive(request: web.Request) -> web.Response:
        account = accounts.get(request.match_info["account"])
        if account is None:
            return json_error(404, "unknown account")
        body = await request.read()
        try:
            verify(
                account.secret,
                request.headers.get("X-Storedesk-Timestamp"),
                request.headers.get("X-Storedesk-Signature"),
                body,
                time.time(),
            )
        except SignatureError as problem:
            return json_error(401, str(problem))
        key = request.headers.get("Idempotency-Key", "")
        if key and key in seen_keys:
            return web.json_response({"status": "duplicate"})
        seen_keys.add(key)
        received.appendleft({"account": account.id, "key": key, "reply": json.loads(body)})
        return web.json_response({"status": "received"})

    async def listing(_request: web.Request) -> web.Response:
        return web.json_response({"replies": list(received)})

    def contribute(app: web.Application) -> None:
        app.router.add_post("/demo/marketplace/{account}", receive)
        app.router.add_get("/demo/marketplace", listing)

    return contribute
