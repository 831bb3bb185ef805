"""The console's digests page: digests delivered to the console, readable with their charts,
and the console's digest subscriptions (list, add with the same words as the chat commands,
cancel).

A member sees a digest or subscription only when every store it covers is one of theirs
(a client sees only their own stores); anything else answers 404 as if it did not exist.
Changes go through `/api`, so the console's session, CSRF and JSON checks apply.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from importlib import resources
from typing import Any

from aiohttp import web

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.permissions import SUPERVISORS, Member
from bot.http import read_json_object
from bot.ports import Clock
from bot.workspaces.console.auth import SESSION_COOKIE, ConsoleAuth
from bot.workspaces.console.routes import MEMBER_KEY
from scheduler import subscriptions
from storage import digest_delivery
from storage.database import Database
from storage.digest_runs import Subscription

STATIC = resources.files("bot.workspaces.console") / "static"
TARGET = digest_delivery.CONSOLE
MAX_WORDS = 40


def _subscription(s: Subscription) -> dict[str, Any]:
    return {
        "id": s.id,
        "cron": s.cron,
        "timezone": s.timezone,
        "cadence": s.cadence,
        "store_ids": list(s.store_ids),
        "created_by": s.created_by,
        "said": subscriptions.describe(s),
    }


def console_digest_routes(
    db: Database, auth: ConsoleAuth, clock: Clock
) -> Callable[[web.Application], None]:
    async def page(request: web.Request) -> web.StreamResponse:
        if auth.read_session(request.cookies.get(SESSION_COOKIE)) is None:
            raise web.HTTPSeeOther("/console/signin")
        return web.Response(
            text=(STATIC / "digests.html").read_text(encoding="utf-8"),
            content_type="text/html",
            charset="utf-8",
        )

    async def listing(request: web.Request) -> web.Response:
        member: Member = request[MEMBER_KEY]
        async with db.read_sessions() as session:
            found = await digest_delivery.console_digests(session, set(member.visible_stores()))
        subscribed = await subscriptions.visible_subscriptions(db, member, TARGET)
        return web.json_response(
            {
                "digests": found,
                "subscriptions": [_subscription(s) for s in subscribed],
                "can_subscribe": [
                    s for s in member.visible_stores() if member.role_in(s) in SUPERVISORS
                ],
            }
        )

    async def detail(request: web.Request) -> web.Response:
        member: Member = request[MEMBER_KEY]
        key = request.match_info["key"]
        async with db.read_sessions() as session:
            found = await digest_delivery.console_digest(session, key, set(member.visible_stores()))
        if found is None:
            raise NotFound(f"digest {key} does not exist")
        digest, images = found
        charts = [
            {
                "title": image.title,
                "filename": image.filename,
                "src": "data:image/png;base64," + base64.b64encode(image.png).decode(),
            }
            for image in images
        ]
        return web.json_response({**digest, "charts": charts})

    async def subscribe(request: web.Request) -> web.Response:
        member: Member = request[MEMBER_KEY]
        body = await read_json_object(request)
        schedule, stores = body.get("schedule"), body.get("stores")
        if not isinstance(schedule, str) or not schedule.strip():
            raise InvalidInput("schedule: say e.g. 'daily 09:00' or 'weekly mon 08:30'")
        if not isinstance(stores, list) or not all(isinstance(s, str) for s in stores):
            raise InvalidInput("stores: a list of store ids")
        words = schedule.split() + list(dict.fromkeys(stores))
        if len(words) > MAX_WORDS:
            raise InvalidInput("schedule: too many words")
        done = await subscriptions.subscribe(
            db,
            clock,
            actor=member.id,
            target=TARGET,
            place="console-" + "-".join(sorted(set(stores) or {"stores"})),
            words=words,
        )
        return web.json_response(
            {"subscription": _subscription(done.subscription), "said": done.schedule.said},
            status=201,
        )

    async def cancel(request: web.Request) -> web.Response:
        member: Member = request[MEMBER_KEY]
        wanted = request.match_info["id"]
        visible = await subscriptions.visible_subscriptions(db, member, TARGET)
        if wanted not in {s.id for s in visible}:
            raise NotFound(f"no digest subscription {wanted} here")
        gone = await subscriptions.cancel(
            db,
            clock,
            actor=member.id,
            subscription_id=wanted,
            target=TARGET,
        )
        return web.json_response({"cancelled": gone.id})

    def contribute(app: web.Application) -> None:
        app.router.add_get("/console/digests", page)
        app.router.add_get("/api/digests", listing)
        app.router.add_get("/api/digests/{key}", detail)
        app.router.add_post("/api/digest-subscriptions", subscribe)
        app.router.add_post("/api/digest-subscriptions/{id}/cancel", cancel)

    return contribute
