"""Console routes: sign-in, the JSON API behind the page, and live hints over SSE."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from importlib import resources
from typing import Any, NoReturn

from aiohttp import web

from bot.domain import commands
from bot.domain.errors import NotFound
from bot.domain.permissions import Action, Member
from bot.http import HandlerFn, event_stream, json_error, read_json_object, text_field
from bot.services.messagebus import MessageBus
from bot.workspaces.console.auth import SESSION_COOKIE, ConsoleAuth, Session
from storage import profiles, views
from storage.change_feed import Change, ChangeFeed
from storage.database import Database
from storage.repository import load_member

STATIC = resources.files("bot.workspaces.console") / "static"
MAX_TEXT = 20_000
SESSION_KEY = web.RequestKey("console_session", Session)
MEMBER_KEY = web.RequestKey("console_member", Member)

_SIGN_IN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Storedesk · sign in</title><link rel="stylesheet" href="/console/static/console.css">
</head><body class="signin"><main class="signin-box"><h1>Storedesk</h1>
<p>{message}</p><form method="post" action="/console/signin">
<label for="token">Sign-in token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>"""


def console_routes(
    bus: MessageBus,
    db: Database,
    feed: ChangeFeed,
    auth: ConsoleAuth,
    stop: asyncio.Event,
    secure_cookies: bool = False,
) -> Callable[[web.Application], None]:
    def start_session(member_id: str) -> NoReturn:
        response = web.HTTPSeeOther("/console")
        response.set_cookie(
            SESSION_COOKIE,
            auth.new_session(member_id),
            httponly=True,
            samesite="Lax",
            secure=secure_cookies,
            path="/",
        )
        raise response

    async def member_exists(member_id: str) -> bool:
        async with db.read_sessions() as session:
            return await load_member(session, member_id) is not None

    def sign_in_page(message: str, status: int = 200) -> web.Response:
        return web.Response(
            text=_SIGN_IN_PAGE.format(message=html.escape(message)),
            content_type="text/html",
            status=status,
        )

    async def sign_in(request: web.Request) -> web.StreamResponse:
        member_id, code = request.query.get("member"), request.query.get("code")
        if member_id and code:
            if auth.member_for_code(member_id, code) and await member_exists(member_id):
                start_session(member_id)
            return sign_in_page("That sign-in link is not valid.", status=401)
        return sign_in_page("Sign in with the token your admin gave you.")

    async def sign_in_with_token(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = form.get("token")
        member_id = auth.member_for_token(token) if isinstance(token, str) else None
        if member_id is None or not await member_exists(member_id):
            return sign_in_page("That token is not valid.", status=401)
        start_session(member_id)

    @web.middleware
    async def require_member(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
        """Every /api call needs a session; every change also needs the CSRF token and JSON."""
        path = request.path
        if not (path.startswith("/api/") or path == "/console/signout"):
            return await handler(request)
        session = auth.read_session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return json_error(401, "sign in first")
        async with db.read_sessions() as db_session:
            member = await load_member(db_session, session.member_id)
        if member is None:
            return json_error(401, "unknown member")
        if request.method not in ("GET", "HEAD"):
            if not auth.csrf_ok(session, request.headers.get("X-CSRF-Token")):
                return json_error(403, "missing or wrong X-CSRF-Token")
            if request.content_type != "application/json":
                return json_error(415, "Content-Type must be application/json")
        request[SESSION_KEY] = session
        request[MEMBER_KEY] = member
        return await handler(request)

    def member_of(request: web.Request) -> Member:
        return request[MEMBER_KEY]

    async def console_page(request: web.Request) -> web.StreamResponse:
        if auth.read_session(request.cookies.get(SESSION_COOKIE)) is None:
            raise web.HTTPSeeOther("/console/signin")
        return web.Response(
            text=(STATIC / "console.html").read_text(encoding="utf-8"),
            content_type="text/html",
            charset="utf-8",
        )

    async def sign_out(_request: web.Request) -> web.Response:
        response = web.json_response({"status": "signed out"})
        response.del_cookie(SESSION_COOKIE, path="/")
        return response

    async def me(request: web.Request) -> web.Response:
        member = member_of(request)
        session = request[SESSION_KEY]
        async with db.read_sessions() as db_session:
            store_rows = await views.stores_by_id(db_session, member.visible_stores())
        return web.json_response(
            {
                "member": {"id": member.id, "name": member.name},
                "csrf_token": auth.csrf_token(session),
                "stores": [
                    {**store_rows[sid], "role": member.roles[sid].value}
                    for sid in member.visible_stores()
                    if sid in store_rows
                ],
            }
        )

    def visible_store(request: web.Request) -> str:
        store_id = request.match_info["store"]
        if not member_of(request).can(Action.VIEW, store_id):
            raise NotFound(f"store {store_id} does not exist")
        return store_id

    async def conversations(request: web.Request) -> web.Response:
        store_id = visible_store(request)
        async with db.read_sessions() as session:
            rows = await views.store_conversations(session, store_id)
        return web.json_response({"conversations": rows})

    def permissions(member: Member, detail: dict[str, Any]) -> dict[str, bool]:
        conversation, draft = detail["conversation"], detail["draft"]
        store_id = conversation["store_id"]
        needs_supervisor = conversation["review_required"] or (
            draft is not None and draft["route"] == "review"
        )
        return {
            "send_reply": member.can(
                Action.SEND_REPLY, store_id, needs_supervisor=needs_supervisor
            ),
            "needs_supervisor": bool(needs_supervisor),
            "escalate": member.can(Action.ESCALATE, store_id),
            "take_over": member.can(Action.TAKE_OVER, store_id),
            "note": member.can(Action.NOTE, store_id),
            "comment": member.can(Action.COMMENT, store_id),
            "resolve": member.can(Action.RESOLVE, store_id),
        }

    async def conversation(request: web.Request) -> web.Response:
        member = member_of(request)
        async with db.read_sessions() as session:
            detail = await views.conversation_detail(session, request.match_info["id"])
            if detail is None or not member.can(Action.VIEW, detail["conversation"]["store_id"]):
                raise NotFound("conversation does not exist")
            detail["profile"] = await profiles.customer_profile(
                session,
                detail["conversation"]["customer_id"],
                member.visible_stores(),
                current_conversation=detail["conversation"]["id"],
            )
        store_id = detail["conversation"]["store_id"]
        if detail["conversation"]["store_mode"] == "pilot" and not member.can(
            Action.REVIEW_QUEUE, store_id
        ):
            # Pilot drafts are for leads: others see the thread, not what the AI proposed.
            detail["draft"] = None
            detail["events"] = [e for e in detail["events"] if e["kind"] != "drafted"]
        detail["permissions"] = permissions(member, detail)
        return web.json_response(detail)

    async def dead_letters(request: web.Request) -> web.Response:
        store_id = visible_store(request)
        async with db.read_sessions() as session:
            items = await views.dead_letters(session, [store_id])
        return web.json_response({"items": items})

    def action(build: Callable[[web.Request, str, dict[str, Any]], commands.Command]) -> HandlerFn:
        async def handle(request: web.Request) -> web.Response:
            body = await read_json_object(request)
            result = await bus.handle(build(request, member_of(request).id, body))
            return web.json_response({"status": "ok", "result": result})

        return handle

    def text(body: dict[str, Any], name: str = "text") -> str:
        return text_field(body, name, max_length=MAX_TEXT)

    async def events(request: web.Request) -> web.StreamResponse:
        member = member_of(request)
        stores = set(member.visible_stores())

        async def wanted(change: Change) -> bool:
            return change.store_id in stores

        async with feed.subscribe() as changes:
            return await event_stream(request, changes, wanted, stop)

    def contribute(app: web.Application) -> None:
        app.middlewares.append(require_member)
        router = app.router
        router.add_get("/console", console_page)
        router.add_get("/console/signin", sign_in)
        router.add_post("/console/signin", sign_in_with_token)
        router.add_post("/console/signout", sign_out)
        router.add_static("/console/static/", str(STATIC))
        router.add_get("/api/me", me)
        router.add_get("/api/events", events)
        router.add_get("/api/stores/{store}/conversations", conversations)
        router.add_get("/api/stores/{store}/dead-letters", dead_letters)
        router.add_get("/api/conversations/{id}", conversation)
        m = "id"
        router.add_post(
            "/api/drafts/{id}/approve",
            action(lambda r, actor, _b: commands.ApproveDraft(r.match_info[m], actor)),
        )
        router.add_post(
            "/api/drafts/{id}/reject",
            action(
                lambda r, actor, b: commands.RejectDraft(r.match_info[m], actor, text(b, "reason"))
            ),
        )
        router.add_post(
            "/api/drafts/{id}/cancel-auto-send",
            action(lambda r, actor, _b: commands.CancelAutoSend(r.match_info[m], actor)),
        )
        router.add_post(
            "/api/drafts/{id}/edit",
            action(lambda r, actor, b: commands.EditAndSendDraft(r.match_info[m], actor, text(b))),
        )
        router.add_post(
            "/api/conversations/{id}/escalate",
            action(
                lambda r, actor, b: commands.Escalate(r.match_info[m], actor, text(b, "reason"))
            ),
        )
        router.add_post(
            "/api/conversations/{id}/takeover",
            action(lambda r, actor, _b: commands.TakeOver(r.match_info[m], actor)),
        )
        router.add_post(
            "/api/conversations/{id}/reply",
            action(lambda r, actor, b: commands.SendReply(r.match_info[m], actor, text(b))),
        )
        router.add_post(
            "/api/conversations/{id}/notes",
            action(lambda r, actor, b: commands.AddNote(r.match_info[m], actor, text(b))),
        )
        router.add_post(
            "/api/conversations/{id}/comment",
            action(lambda r, actor, b: commands.AddClientComment(r.match_info[m], actor, text(b))),
        )
        router.add_post(
            "/api/conversations/{id}/resolve",
            action(lambda r, actor, _b: commands.Resolve(r.match_info[m], actor)),
        )
        for verb in ("confirm", "reject"):
            router.add_post(
                f"/api/customer-links/{{id}}/{verb}",
                action(
                    lambda r, actor, _b, v=verb: commands.DecideCustomerLink(
                        r.match_info[m], actor, confirm=v == "confirm"
                    )
                ),
            )
        router.add_post(
            "/api/outbox/{id}/retry",
            action(lambda r, actor, _b: commands.RetryDelivery(_int_id(r.match_info[m]), actor)),
        )

    return contribute


def _int_id(value: str) -> int:
    if not value.isdigit():
        raise NotFound(f"outbox item {value} does not exist")
    return int(value)
