"""The app's callback URL: WeCom's URL check (GET) and encrypted messages and events (POST).

Nothing is stored before the signature, the age and the receive id are checked (403), and
nothing from outside is parsed with DTDs or entities (400). WeCom retries a callback it got
no quick answer to, so the handler answers once the event is handled, and each event is
handled once (deduplicated by `MsgId`, or by sender, time and button for card presses).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.http import read_body_capped
from bot.workspaces.wecom.crypto import CallbackRefused, WeComCrypto
from bot.workspaces.wecom.xml_fields import MalformedXml, parse_fields

logger = logging.getLogger(__name__)

ROUTE = "/wecom/callback"
MAX_BODY_BYTES = 256 * 1024

Dispatch = Callable[[dict[str, str]], Awaitable[None]]


def callback_routes(
    crypto: WeComCrypto,
    dispatch: Dispatch,
    max_skew_seconds: int,
    now: Callable[[], float] = time.time,
) -> Callable[[web.Application], None]:
    def fresh(timestamp: str) -> bool:
        return timestamp.isdigit() and abs(now() - int(timestamp)) <= max_skew_seconds

    def opened(request: web.Request, encrypted: str) -> bytes:
        query = request.query
        timestamp = query.get("timestamp", "")
        crypto.verify(query.get("msg_signature", ""), timestamp, query.get("nonce", ""), encrypted)
        if not fresh(timestamp):
            raise CallbackRefused("timestamp too old or in the future")
        return crypto.decrypt(encrypted)

    async def verify_url(request: web.Request) -> web.Response:
        try:
            echo = opened(request, request.query.get("echostr", ""))
        except CallbackRefused as refused:
            return web.Response(status=403, text=str(refused))
        return web.Response(body=echo, content_type="text/plain")

    async def receive(request: web.Request) -> web.Response:
        body = await read_body_capped(request, MAX_BODY_BYTES)
        if body is None:
            return web.Response(status=413, text="callback too large")
        try:
            encrypted = parse_fields(body).get("Encrypt", "")
        except MalformedXml as problem:
            return web.Response(status=400, text=str(problem))
        if not encrypted:
            return web.Response(status=400, text="no Encrypt element")
        try:
            inner = opened(request, encrypted)
        except CallbackRefused as refused:
            return web.Response(status=403, text=str(refused))
        try:
            fields = parse_fields(inner)
        except MalformedXml as problem:
            return web.Response(status=400, text=str(problem))
        try:
            await dispatch(fields)
        except Exception:
            logger.exception("wecom callback %s failed", fields.get("MsgType"))
            return web.Response(status=500, text="try again")
        return web.Response(text="")

    def contribute(app: web.Application) -> None:
        app.router.add_get(ROUTE, verify_url)
        app.router.add_post(ROUTE, receive)

    return contribute
