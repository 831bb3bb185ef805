"""The console's metrics page: a store's numbers for a period, with the digest's charts.

Reads only; a member sees a store's metrics only with a role there (so a client sees only
their own stores), and anything else answers 404 as if the store did not exist.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from importlib import resources

from aiohttp import web

from bot.domain.errors import NotFound
from bot.domain.permissions import Action
from bot.ports import Clock
from bot.services.digest_report import render_markdown
from bot.services.periods import named_period
from bot.workspaces.console.auth import SESSION_COOKIE, ConsoleAuth
from bot.workspaces.console.routes import MEMBER_KEY
from knowledge.embeddings import Embedder
from scheduler.charts import digest_charts
from scheduler.report import build_report, scope_stores
from storage import digest_runs
from storage.database import Database

STATIC = resources.files("bot.workspaces.console") / "static"


def console_metrics_routes(
    db: Database, auth: ConsoleAuth, clock: Clock, embedder: Embedder | None = None
) -> Callable[[web.Application], None]:
    async def page(request: web.Request) -> web.StreamResponse:
        if auth.read_session(request.cookies.get(SESSION_COOKIE)) is None:
            raise web.HTTPSeeOther("/console/signin")
        return web.Response(
            text=(STATIC / "metrics.html").read_text(encoding="utf-8"),
            content_type="text/html",
            charset="utf-8",
        )

    async def metrics(request: web.Request) -> web.Response:
        store_id = request.match_info["store"]
        if not request[MEMBER_KEY].can(Action.VIEW, store_id):
            raise NotFound(f"store {store_id} does not exist")
        (store,) = await scope_stores(db, [store_id], None) or [None]
        if store is None:
            raise NotFound(f"store {store_id} does not exist")
        period = named_period(request.query.get("period", "yesterday"), clock.now(), store.timezone)
        report = await build_report(db, [store], store.name, period, embedder)
        async with db.read_sessions() as session:
            delivered = await digest_runs.console_digests(session, store.id)
        images = await asyncio.to_thread(digest_charts, report)
        return web.json_response(
            {
                "store": {"id": store.id, "name": store.name, "timezone": store.timezone},
                "period": {
                    "label": period.label,
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                },
                "current": report.current.as_dict(),
                "previous": report.previous.as_dict(),
                "digest": render_markdown(report),
                "sales": {key: funnel.as_dict() for key, funnel in report.sales.items()},
                "delivered_digests": delivered,
                "charts": [
                    {
                        "title": image.title,
                        "src": "data:image/png;base64," + base64.b64encode(image.png).decode(),
                    }
                    for image in images
                ],
            }
        )

    def contribute(app: web.Application) -> None:
        app.router.add_get("/console/metrics", page)
        app.router.add_get("/api/metrics/{store}", metrics)

    return contribute
