"""The store bots' webhook: `POST /tg/<account>`, accepted only with the right secret token.

Telegram sends the `secret_token` given to `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`;
it is compared in constant time, and a wrong or missing one is answered 401 before anything
is parsed or stored. A handler failure answers 500 so Telegram delivers the update again
(intake's dedupe makes that safe).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from bot.http import read_body_capped

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024

logger = logging.getLogger(__name__)

FeedUpdate = Callable[[str, dict[str, Any]], Awaitable[None]]


def secret_matches(expected: str | None, given: str | None) -> bool:
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def webhook_handler(
    secrets: Mapping[str, str | None], feed: FeedUpdate
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """One handler for a family of webhooks keyed by `{name}` in the route (account or team)."""

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info.get("account", "team")
        if name not in secrets:
            return web.Response(status=404, text="unknown bot")
        if not secret_matches(secrets[name], request.headers.get(SECRET_HEADER)):
            return web.Response(status=401, text="wrong or missing secret token")
        body = await read_body_capped(request, MAX_UPDATE_BYTES)
        if body is None:
            return web.Response(status=413, text="update too large")
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not a Telegram update")
        try:
            await feed(name, update)
        except Exception:
            logger.exception("telegram update %s for %s failed", update.get("update_id"), name)
            return web.Response(status=500, text="try again")
        return web.Response(text="ok")

    return handle
