"""Article versions and update proposals in SQL: the record that evidence points to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.articles import ArticleRecord, QAPair, Status
from storage.orm import knowledge_articles, knowledge_proposals

T = knowledge_articles


@dataclass(frozen=True)
class Saved:
    """What saving one article did: `created` False means its content was already there."""

    record: ArticleRecord
    created: bool


def record_of(row: Row[Any]) -> ArticleRecord:
    return ArticleRecord(
        id=row.id,
        version=row.version,
        store_id=row.store_id,
        language=row.language,
        title=row.title,
        body=row.body,
        brand=row.brand,
        region=row.region,
        campaign=row.campaign,
        topic=row.topic or "",
        qa=tuple(QAPair(q, a) for q, a in (row.qa or [])),
        variables=dict(row.variables or {}),
        status=Status(row.status),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        author=row.author or "",
        approver=row.approver or "",
        source=row.source,
    )


async def save_articles(
    session: AsyncSession, articles: Sequence[ArticleRecord], now: datetime
) -> list[Saved]:
    """Give each article its version: unchanged content keeps the current one, a change
    gets the next. A new active version retires the old; old versions stay (evidence)."""
    ids = sorted({a.id for a in articles})
    current: dict[str, ArticleRecord] = {}
    latest_version: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        for row in (await session.execute(select(T).where(T.c.id.in_(batch)))).all():
            latest_version[row.id] = max(latest_version.get(row.id, 0), row.version)
            if row.status == Status.ACTIVE.value:
                current[row.id] = record_of(row)
    saved: list[Saved] = []
    for article in articles:
        held = current.get(article.id)
        if held is not None and (held.content_key, held.status) == (
            article.content_key,
            article.status,
        ):
            saved.append(Saved(held, created=False))
            continue
        version = latest_version.get(article.id, 0) + 1
        latest_version[article.id] = version
        record = replace(article, version=version)
        if held is not None and record.status in (Status.ACTIVE, Status.RETIRED):
            await retire(session, article.id)  # a draft or pending version leaves it live
        await session.execute(insert(T).values(**_row_values(record, now)))
        if record.status == Status.ACTIVE:
            current[article.id] = record
        saved.append(Saved(record, created=True))
    return saved


async def retire(session: AsyncSession, article_id: str) -> None:
    await session.execute(
        update(T)
        .where(T.c.id == article_id, T.c.status == Status.ACTIVE.value)
        .values(status=Status.RETIRED.value)
    )


async def retire_missing(session: AsyncSession, source: str, keep: set[str]) -> None:
    """Retire the active articles of `source` not in `keep` (the config no longer has them)."""
    rows = await session.execute(
        select(T.c.id).where(T.c.status == Status.ACTIVE.value, T.c.source == source)
    )
    for article_id in set(rows.scalars()) - keep:
        await retire(session, article_id)


async def active_sources(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        rows = await session.execute(
            select(T.c.id, T.c.source).where(
                T.c.id.in_(list(ids[start : start + 500])), T.c.status == Status.ACTIVE.value
            )
        )
        found.update({r.id: r.source for r in rows.all()})
    return found


async def expired_articles(session: AsyncSession, now: datetime) -> list[ArticleRecord]:
    """Active articles whose `valid_until` has passed: the knowledge expiry job's work."""
    rows = await session.execute(
        select(T).where(T.c.status == Status.ACTIVE.value, T.c.valid_until <= now).order_by(T.c.id)
    )
    return [record_of(row) for row in rows.all()]


async def active_articles(session: AsyncSession) -> list[ArticleRecord]:
    rows = await session.execute(
        select(T).where(T.c.status == Status.ACTIVE.value).order_by(T.c.id)
    )
    return [record_of(row) for row in rows.all()]


async def article_versions(session: AsyncSession, article_id: str) -> list[ArticleRecord]:
    rows = await session.execute(select(T).where(T.c.id == article_id).order_by(T.c.version))
    return [record_of(row) for row in rows.all()]


async def article_version(
    session: AsyncSession, article_id: str, version: int | None = None
) -> ArticleRecord | None:
    """One version, or the newest one (active if any) when `version` is None."""
    query = select(T).where(T.c.id == article_id)
    if version is not None:
        query = query.where(T.c.version == version)
    rows = [record_of(r) for r in (await session.execute(query)).all()]
    if not rows:
        return None
    active = [r for r in rows if r.status == Status.ACTIVE]
    return (active or sorted(rows, key=lambda r: r.version))[-1]


async def latest_articles(
    session: AsyncSession, store_ids: Sequence[str], *, include_global: bool = True
) -> list[ArticleRecord]:
    """The newest version of every article of these stores (and store-less ones)."""
    newest = select(T.c.id, func.max(T.c.version).label("version")).group_by(T.c.id).subquery()
    where = T.c.store_id.in_(list(store_ids))
    if include_global:
        where = where | T.c.store_id.is_(None)
    rows = await session.execute(
        select(T)
        .join(newest, and_(T.c.id == newest.c.id, T.c.version == newest.c.version))
        .where(where)
        .order_by(T.c.id)
    )
    return [record_of(row) for row in rows.all()]


def _row_values(record: ArticleRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": record.id,
        "version": record.version,
        "store_id": record.store_id,
        "language": record.language,
        "title": record.title,
        "body": record.body,
        "content_hash": record.content_key,
        "status": record.status.value,
        "created_at": now,
        "brand": record.brand,
        "region": record.region,
        "campaign": record.campaign,
        "topic": record.topic,
        "qa": [[p.question, p.answer] for p in record.qa] or None,
        "variables": dict(record.variables) or None,
        "valid_from": record.valid_from,
        "valid_until": record.valid_until,
        "author": record.author or None,
        "approver": record.approver or None,
        "source": record.source,
    }


# --- proposals ----------------------------------------------------------------------------


def proposal_dict(row: Row[Any]) -> dict[str, Any]:
    values = dict(row._mapping)
    for key in ("created_at", "decided_at"):
        values[key] = values[key].isoformat() if values[key] else None
    values["status"] = str(values["status"].value)
    return values


async def proposals(
    session: AsyncSession, store_ids: Sequence[str], status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    P = knowledge_proposals
    query = select(P).where(P.c.store_id.in_(list(store_ids)))
    if status:
        query = query.where(P.c.status == status)
    rows = await session.execute(query.order_by(P.c.created_at.desc()).limit(limit))
    return [proposal_dict(r) for r in rows.all()]
