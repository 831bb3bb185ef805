"""GET/POST /whatsapp/<account>: Meta's handshake, then signed message deliveries.

Nothing is stored for a request whose signature fails (401) or whose body is malformed (400);
a message id seen before is acknowledged and not stored again.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.http import json_error, read_body_capped
from bot.services.messagebus import MessageBus
from connectors.whatsapp import WhatsAppAccount
from connectors.whatsapp.parse import parse_whatsapp
from connectors.whatsapp.signature import SignatureError, verify
from storage.channel_rows import record_whatsapp_inbound
from storage.database import Database

MAX_BODY_BYTES = 1024 * 1024


def whatsapp_routes(
    bus: MessageBus, db: Database, accounts: Mapping[str, WhatsAppAccount]
) -> Callable[[web.Application], None]:
    async def handshake(request: web.Request) -> web.Response:
        account = accounts.get(request.match_info["account"])
        if account is None:
            return json_error(404, "unknown account")
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), account.verify_token.encode()
        ):
            return json_error(403, "verification failed")
        return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")

    async def receive(request: web.Request) -> web.Response:
        account = accounts.get(request.match_info["account"])
        if account is None:
            return json_error(404, "unknown account")
        body = await read_body_capped(request, MAX_BODY_BYTES)
        if body is None:
            return json_error(413, "body larger than 1 MiB")
        try:
            verify(account.app_secret, request.headers.get("X-Hub-Signature-256"), body)
        except SignatureError as problem:
            return json_error(401, str(problem))
        inbound = parse_whatsapp(account.id, account.api_url, body)
        accepted = duplicates = 0
        for item in inbound:
            await record_whatsapp_inbound(db, account.id, item.wa_id, item.sent_at)
            result = await bus.handle(item.command)
            duplicates += result.duplicate
            accepted += not result.duplicate
        return web.json_response({"accepted": accepted, "duplicates": duplicates})

    def contribute(app: web.Application) -> None:
        app.router.add_get("/whatsapp/{account}", handshake)
        app.router.add_post("/whatsapp/{account}", receive)

    return contribute
