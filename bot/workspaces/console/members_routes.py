"""The console's team pages: accepting an invitation, and the members list with invites.

Accepting needs no session (the one-time link is the secret); it ends signed in, with the
person's own sign-in link shown once to bookmark. Listing and inviting are for leads and
admins, and only over the stores where they may invite.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from importlib import resources

from aiohttp import web

from bot.domain import commands
from bot.domain.errors import DomainError
from bot.domain.permissions import Action
from bot.http import read_json_object, text_field
from bot.services.membership import InvitationIssued
from bot.services.messagebus import MessageBus
from bot.workspaces.console.auth import SESSION_COOKIE, ConsoleAuth
from bot.workspaces.console.routes import MEMBER_KEY
from storage import grants
from storage.database import Database
from storage.orm import members as member_rows

STATIC = resources.files("bot.workspaces.console") / "static"

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Storedesk · {title}</title><link rel="stylesheet" href="/console/static/console.css">
</head><body class="signin"><main class="signin-box"><h1>Storedesk</h1>{body}</main>
</body></html>"""

_ACCEPT_FORM = """<p>You are invited to join the support team.</p>
<form method="post"><label for="name">Your name</label>
<input id="name" name="name" maxlength="200" required autocomplete="name">
<button type="submit">Join</button></form>"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=_PAGE.format(title=html.escape(title), body=body),
        content_type="text/html",
        status=status,
    )


def members_routes(
    bus: MessageBus, db: Database, auth: ConsoleAuth, secure_cookies: bool = False
) -> Callable[[web.Application], None]:
    async def invitation_form(request: web.Request) -> web.Response:
        return _page("invitation", _ACCEPT_FORM)

    async def accept(request: web.Request) -> web.Response:
        form = await request.post()
        name = form.get("name")
        try:
            member_id = await bus.handle(
                commands.AcceptInvitation(
                    request.match_info["token"], name if isinstance(name, str) else ""
                )
            )
        except DomainError as problem:
            return _page("invitation", f"<p>{html.escape(str(problem))}</p>", status=400)
        link = f"/console/signin?member={member_id}&code={auth.sign_in_code(member_id)}"
        response = _page(
            "welcome",
            f"<p>Welcome, {html.escape(name if isinstance(name, str) else '')}.</p>"
            "<p>Bookmark your personal sign-in link (anyone with it can sign in as you):</p>"
            f'<p><a href="{html.escape(link)}" data-testid="sign-in-link">'
            f"{html.escape(link)}</a></p>"
            '<p><a href="/console">Open the console</a></p>',
        )
        response.set_cookie(
            SESSION_COOKIE,
            auth.new_session(member_id),
            httponly=True,
            samesite="Lax",
            secure=secure_cookies,
            path="/",
        )
        return response

    async def page(request: web.Request) -> web.StreamResponse:
        if auth.read_session(request.cookies.get(SESSION_COOKIE)) is None:
            raise web.HTTPSeeOther("/console/signin")
        return web.Response(
            text=(STATIC / "members.html").read_text(encoding="utf-8"),
            content_type="text/html",
            charset="utf-8",
        )

    async def listing(request: web.Request) -> web.Response:
        member = request[MEMBER_KEY]
        manageable = {s for s in member.visible_stores() if member.can(Action.INVITE, s)}
        async with db.read_sessions() as session:
            names = {r.id: r.name for r in (await session.execute(member_rows.select())).all()}
            store_client = await grants.store_clients(session)
            rows = await grants.grants_of(session)
        listed = []
        for row in rows:
            g = row.grant
            reached = {s for s, client in store_client.items() if g.covers(s, client)} & manageable
            if reached:
                listed.append(
                    {
                        "member_id": g.member_id,
                        "name": names.get(g.member_id, g.member_id),
                        "role": g.role.value,
                        "scope": g.scope.value,
                        "scope_id": g.scope_id,
                        "source": row.source,
                        "stores": sorted(reached),
                    }
                )
        return web.json_response({"grants": listed, "stores": sorted(manageable)})

    async def invite(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        days = body.get("days", 7)
        issued: InvitationIssued = await bus.handle(
            commands.InviteMember(
                request[MEMBER_KEY].id,
                text_field(body, "email", max_length=254),
                text_field(body, "role", max_length=20),
                text_field(body, "scope", max_length=20),
                str(body.get("scope_id") or ""),
                days if isinstance(days, int) else 0,
            )
        )
        return web.json_response(
            {
                "email": issued.email,
                "expires_at": issued.expires_at,
                "path": f"/console/invite/{issued.token}",
            }
        )

    def contribute(app: web.Application) -> None:
        app.router.add_get("/console/invite/{token}", invitation_form)
        app.router.add_post("/console/invite/{token}", accept)
        app.router.add_get("/console/members", page)
        app.router.add_get("/api/members", listing)
        app.router.add_post("/api/members/invite", invite)

    return contribute
