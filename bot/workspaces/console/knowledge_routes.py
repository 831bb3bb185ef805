"""Console knowledge pages: browse, search in a store's scope, edit, history and diff,
proposals from edited drafts, and gaps. JSON under /api/knowledge, behind the console's
session, CSRF and JSON checks (its middleware covers every /api path)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from aiohttp import web

from bot.domain.errors import InvalidInput, NotFound
from bot.domain.permissions import Action, Member
from bot.http import read_json_object, text_field
from bot.workspaces.console.auth import SESSION_COOKIE, ConsoleAuth
from bot.workspaces.console.routes import MEMBER_KEY
from knowledge.articles import ArticleRecord, Status
from knowledge.formats import fields_of
from knowledge.service import KnowledgeBase, reaches
from storage import knowledge as rows
from storage.database import Database

STATIC = resources.files("bot.workspaces.console") / "static"
MAX_BODY = 50_000


def knowledge_routes(
    kb: KnowledgeBase, db: Database, auth: ConsoleAuth
) -> Callable[[web.Application], None]:
    def member_of(request: web.Request) -> Member:
        return request[MEMBER_KEY]

    def viewable_store(request: web.Request, store_id: str | None = None) -> str:
        store_id = store_id or request.query.get("store", "")
        if not member_of(request).can(Action.VIEW, store_id):
            raise NotFound(f"store {store_id} does not exist")
        return store_id

    async def reached_stores(article: ArticleRecord) -> list[str]:
        return [s.id for s in await kb.stores() if reaches(article, s)]

    async def visible(member: Member, article: ArticleRecord) -> bool:
        return any(member.can(Action.VIEW, s) for s in await reached_stores(article))

    def as_json(article: ArticleRecord) -> dict[str, Any]:
        return {**fields_of(article), "version": article.version, "body": article.body,
                "source": article.source}  # fmt: skip

    async def articles(request: web.Request) -> web.Response:
        store_id = viewable_store(request)
        store = next(s for s in await kb.stores() if s.id == store_id)
        async with db.read_sessions() as session:
            found = await rows.latest_articles(session, [store_id])
        found = [a for a in found if reaches(a, store)]
        return web.json_response({"articles": [as_json(a) for a in found]})

    async def article(request: web.Request) -> web.Response:
        article_id = request.query.get("id", "")
        async with db.read_sessions() as session:
            versions = await rows.article_versions(session, article_id)
        if not versions or not await visible(member_of(request), versions[-1]):
            raise NotFound(f"article {article_id} does not exist")
        return web.json_response({"versions": [as_json(v) for v in versions]})

    async def diff(request: web.Request) -> web.Response:
        article_id = request.query.get("id", "")
        async with db.read_sessions() as session:
            versions = {v.version: v for v in await rows.article_versions(session, article_id)}
        if not versions or not await visible(member_of(request), max(versions.items())[1]):
            raise NotFound(f"article {article_id} does not exist")
        try:
            old, new = versions[int(request.query["from"])], versions[int(request.query["to"])]
        except (KeyError, ValueError):
            raise NotFound("no such versions") from None
        lines = difflib.unified_diff(
            f"# {old.title}\n{old.body}".splitlines(),
            f"# {new.title}\n{new.body}".splitlines(),
            f"version {old.version}",
            f"version {new.version}",
            lineterm="",
        )
        return web.json_response({"diff": "\n".join(lines)})

    async def search(request: web.Request) -> web.Response:
        store_id = viewable_store(request)
        text = request.query.get("q", "").strip()
        if not text:
            raise InvalidInput("q: required")
        hits = await kb.search(store_id, text[:2000], limit=5)
        found = [{**asdict(h), "score": round(h.score, 4)} for h in hits]
        return web.json_response({"hits": found})

    async def edit(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        article_id = text_field(body, "id", max_length=200)
        changes: dict[str, Any] = {}
        for name in ("title", "body", "topic", "campaign"):
            if name in body:
                changes[name] = text_field(body, name, max_length=MAX_BODY, required=False)
        for name in ("valid_from", "valid_until"):
            if name in body:
                changes[name] = _when(body[name], name)
        if "status" in body:
            status = text_field(body, "status", max_length=20)
            if status not in (Status.ACTIVE, Status.RETIRED):
                raise InvalidInput("status: active or retired")
            changes["status"] = Status(status)
        record = await kb.edit(member_of(request), article_id, changes)
        return web.json_response({"status": "ok", "article": as_json(record)})

    async def create(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        store_id = viewable_store(request, text_field(body, "store", max_length=200))
        title = text_field(body, "title", max_length=2000)
        topic = text_field(body, "topic", max_length=200)
        record = ArticleRecord(
            id=f"{store_id}/{topic}",
            version=0,
            store_id=store_id,
            language=text_field(body, "language", max_length=10, required=False) or None,
            title=title,
            body=text_field(body, "body", max_length=MAX_BODY),
            campaign=text_field(body, "campaign", max_length=200, required=False) or None,
            valid_from=_when(body.get("valid_from"), "valid_from"),
            valid_until=_when(body.get("valid_until"), "valid_until"),
            author=member_of(request).id,
            approver=member_of(request).id,
            source="console",
        )
        created = await kb.create(member_of(request), record)
        return web.json_response({"status": "ok", "article": as_json(created)})

    async def proposals(request: web.Request) -> web.Response:
        store_id = viewable_store(request)
        status = request.query.get("status", "open")
        async with db.read_sessions() as session:
            found = await rows.proposals(session, [store_id], status or None)
        return web.json_response({"proposals": found})

    async def proposal(request: web.Request) -> web.Response:
        found = await kb.proposal(request.match_info["id"])
        viewable_store(request, found["store_id"])
        return web.json_response(found)

    async def accept(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        record = await kb.accept(
            member_of(request),
            request.match_info["id"],
            title=text_field(body, "title", max_length=2000, required=False) or None,
            body=text_field(body, "body", max_length=MAX_BODY, required=False) or None,
        )
        return web.json_response({"status": "ok", "article": as_json(record)})

    async def reject(request: web.Request) -> web.Response:
        body = await read_json_object(request)
        note = text_field(body, "note", max_length=2000, required=False)
        await kb.reject(member_of(request), request.match_info["id"], note)
        return web.json_response({"status": "ok"})

    async def gaps(request: web.Request) -> web.Response:
        store_id = viewable_store(request)
        try:
            min_count = max(1, int(request.query.get("min_count", "2")))
        except ValueError:
            raise InvalidInput("min_count: a number") from None
        return web.json_response({"gaps": await kb.gaps(store_id, min_count)})

    async def page(request: web.Request) -> web.StreamResponse:
        if auth.read_session(request.cookies.get(SESSION_COOKIE)) is None:
            raise web.HTTPSeeOther("/console/signin")
        return web.Response(
            text=(STATIC / "knowledge.html").read_text(encoding="utf-8"),
            content_type="text/html",
            charset="utf-8",
        )

    def contribute(app: web.Application) -> None:
        router = app.router
        router.add_get("/console/knowledge", page)
        router.add_get("/api/knowledge/articles", articles)
        router.add_post("/api/knowledge/articles", create)
        router.add_get("/api/knowledge/article", article)
        router.add_post("/api/knowledge/article/edit", edit)
        router.add_get("/api/knowledge/diff", diff)
        router.add_get("/api/knowledge/search", search)
        router.add_get("/api/knowledge/proposals", proposals)
        router.add_get("/api/knowledge/proposals/{id}", proposal)
        router.add_post("/api/knowledge/proposals/{id}/accept", accept)
        router.add_post("/api/knowledge/proposals/{id}/reject", reject)
        router.add_get("/api/knowledge/gaps", gaps)

    return contribute


def _when(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: an ISO date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: an ISO date-time string") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
