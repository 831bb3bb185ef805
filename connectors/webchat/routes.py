"""Routes of the customer web chat: the page, sending, the thread, and live hints."""

from __future__ import annotations

import asyncio
import hashlib
import html
import secrets
from collections.abc import Callable, Mapping
from importlib import resources

from aiohttp import web

from bot.domain.commands import ReceiveCustomerMessage
from bot.http import event_stream, json_error, read_json_object, text_field
from bot.services.intake import IntakeResult
from bot.services.messagebus import MessageBus
from connectors.webchat import WebchatAccount
from storage import views
from storage.change_feed import Change, ChangeFeed
from storage.database import Database

COOKIE = "sd_chat"
MAX_TEXT = 4000
STATIC = resources.files("connectors.webchat") / "static"


def _customer_key(token: str) -> str:
    """Store a hash of the browser's token, so a database reader cannot act as the customer."""
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def webchat_routes(
    bus: MessageBus,
    db: Database,
    feed: ChangeFeed,
    accounts_by_store: Mapping[str, WebchatAccount],
    stop: asyncio.Event,
) -> Callable[[web.Application], None]:
    def account_of(request: web.Request) -> WebchatAccount:
        account = accounts_by_store.get(request.match_info["store"])
        if account is None:
            raise web.HTTPNotFound(text="this store has no web chat")
        return account

    def customer_of(request: web.Request) -> str | None:
        token = request.cookies.get(COOKIE)
        return _customer_key(token) if token and 16 <= len(token) <= 100 else None

    async def page(request: web.Request) -> web.Response:
        account = account_of(request)
        template = (STATIC / "chat.html").read_text(encoding="utf-8")
        body = template.replace("{{STORE_ID}}", html.escape(account.store_id)).replace(
            "{{STORE_NAME}}", html.escape(account.store_name)
        )
        response = web.Response(text=body, content_type="text/html", charset="utf-8")
        if customer_of(request) is None:
            response.set_cookie(
                COOKIE,
                secrets.token_urlsafe(24),
                max_age=60 * 60 * 24 * 365,
                path="/chat/",
                httponly=True,
                samesite="Lax",
            )
        return response

    async def post_message(request: web.Request) -> web.Response:
        account = account_of(request)
        customer = customer_of(request)
        if customer is None:
            return json_error(401, "open the chat page first (no chat cookie)")
        body = await read_json_object(request)
        client_id = text_field(body, "client_message_id", max_length=100)
        name = text_field(body, "name", max_length=100, required=False).strip() or "Guest"
        text = text_field(body, "text", max_length=MAX_TEXT)
        result: IntakeResult = await bus.handle(
            ReceiveCustomerMessage(
                channel_account_id=account.id,
                external_id=f"{customer}:{client_id}",
                customer_external_id=customer,
                customer_name=name,
                text=text,
            )
        )
        return web.json_response(
            {"message_id": result.message_id, "duplicate": result.duplicate}, status=202
        )

    async def list_messages(request: web.Request) -> web.Response:
        account = account_of(request)
        customer = customer_of(request)
        if customer is None:
            return web.json_response({"messages": []})
        async with db.read_sessions() as session:
            thread = await views.customer_thread(session, account.id, customer)
        return web.json_response({"messages": thread})

    async def events(request: web.Request) -> web.StreamResponse:
        account = account_of(request)
        customer = customer_of(request)
        if customer is None:
            return json_error(401, "no chat cookie")
        own: set[str] = set()

        async def wanted(change: Change) -> bool:
            if change.store_id != account.store_id or change.conversation_id is None:
                return False
            if change.conversation_id in own:
                return True
            async with db.read_sessions() as session:
                mine = await views.conversation_belongs_to(
                    session, change.conversation_id, account.id, customer
                )
            if mine:
                own.add(change.conversation_id)
            return mine

        async with feed.subscribe() as changes:
            return await event_stream(request, changes, wanted, stop)

    def contribute(app: web.Application) -> None:
        app.router.add_get("/chat/{store}", page)
        app.router.add_post("/chat/{store}/messages", post_message)
        app.router.add_get("/chat/{store}/messages", list_messages)
        app.router.add_get("/chat/{store}/events", events)
        app.router.add_static("/chat/static/", str(STATIC))

    return contribute
