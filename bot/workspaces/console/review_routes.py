"""The console's review queue: every pending draft across a lead's stores, oldest first,
with how long the customer has waited, the review pass rates, and the rollout review.

Only members who may run the queue (leads and admins) see it, and only for their stores;
acting on a draft uses the same endpoints as the conversation page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from importlib import resources

from aiohttp import web

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.permissions import Action, Member
from bot.domain.sla import SlaPolicy, SlaState
from bot.ports import Clock
from bot.services.metrics import Dimension, MetricSet, breakdown, derive_facts, summarize
from bot.services.sla import sla_of
from bot.workspaces.console.auth import SESSION_COOKIE, ConsoleAuth
from bot.workspaces.console.routes import MEMBER_KEY
from knowledge.embeddings import Embedder
from scheduler.rollout import build_rollout_review, review_dict
from storage import views
from storage.database import Database
from storage.metrics_queries import audit_records, store_infos
from storage.repository import SqlRepository

STATIC = resources.files("bot.workspaces.console") / "static"
MAX_DAYS = 365


def _queue_stores(member: Member) -> list[str]:
    return [s for s in member.visible_stores() if member.can(Action.REVIEW_QUEUE, s)]


def _days(request: web.Request, default: int) -> int:
    raw = request.query.get("days", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise InvalidInput(f"days: a whole number from 1 to {MAX_DAYS}")
    return int(raw)


def _rates(metrics: MetricSet) -> dict[str, object]:
    return {
        "reviewed": metrics.reviewed,
        "approved": metrics.approved,
        "edited": metrics.edited,
        "rejected": metrics.rejected,
        "pass_rate": metrics.review_pass_rate,
    }


def _sla_json(state: SlaState | None) -> dict[str, object] | None:
    if state is None:
        return None
    return {
        "clock": state.clock.value,
        "stage": state.stage.value,
        "age_seconds": state.age_seconds,
        "target_seconds": state.target_seconds,
        "due_at": state.due_at.isoformat(),
    }


def review_routes(
    db: Database,
    auth: ConsoleAuth,
    clock: Clock,
    embedder: Embedder,
    sla_policies: Mapping[str, SlaPolicy] | None = None,
) -> Callable[[web.Application], None]:
    policies = dict(sla_policies or {})

    async def page(request: web.Request) -> web.StreamResponse:
        if auth.read_session(request.cookies.get(SESSION_COOKIE)) is None:
            raise web.HTTPSeeOther("/console/signin")
        return web.Response(
            text=(STATIC / "review.html").read_text(encoding="utf-8"),
            content_type="text/html",
            charset="utf-8",
        )

    async def queue(request: web.Request) -> web.Response:
        stores = _queue_stores(request[MEMBER_KEY])
        now = clock.now()
        async with db.read_sessions() as session:
            items = await views.review_queue(session, stores, now)
            repo = SqlRepository(session, clock)
            for item in items:  # the store's SLA clock, where the store has one
                conversation = await repo.get_conversation(item["conversation_id"])
                state = await sla_of(repo, conversation, policies, now) if conversation else None
                item["sla"] = _sla_json(state)
        return web.json_response({"stores": stores, "items": items})

    async def pass_rates(request: web.Request) -> web.Response:
        stores = _queue_stores(request[MEMBER_KEY])
        days = _days(request, 30)
        end = clock.now()
        async with db.read_sessions() as session:
            infos = await store_infos(session)
            records = await audit_records(session, stores, end - timedelta(days=days), end)
        facts = [
            f
            for f in derive_facts(records, {s: infos[s] for s in stores if s in infos})
            if f.at >= end - timedelta(days=days)
        ]
        return web.json_response(
            {
                "days": days,
                "overall": _rates(summarize(facts)),
                **{
                    f"by_{dimension.value}": {
                        key: _rates(metrics) for key, metrics in breakdown(facts, dimension).items()
                    }
                    for dimension in (Dimension.STORE, Dimension.INTENT, Dimension.AGENT)
                },
            }
        )

    async def rollout(request: web.Request) -> web.Response:
        store_id = request.match_info["store"]
        if not request[MEMBER_KEY].can(Action.REVIEW_QUEUE, store_id):
            raise NotFound(f"store {store_id} does not exist")
        review = await build_rollout_review(db, embedder, store_id, clock.now(), _days(request, 90))
        return web.json_response(review_dict(review))

    def contribute(app: web.Application) -> None:
        app.router.add_get("/console/review", page)
        app.router.add_get("/api/review-queue", queue)
        app.router.add_get("/api/review-pass-rates", pass_rates)
        app.router.add_get("/api/stores/{store}/rollout", rollout)

    return contribute
