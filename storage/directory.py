"""Brings the configured stores, accounts, members and knowledge into the database."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import ChannelAccount, Store
from bot.domain.permissions import Member
from knowledge.articles import ArticleRecord
from storage.audit import GENESIS, SYSTEM_CHAIN
from storage.orm import audit_heads, knowledge_articles, member_roles, members

ACTIVE, RETIRED = "active", "retired"


@dataclass(frozen=True)
class Directory:
    stores: Sequence[Store]
    accounts: Sequence[ChannelAccount]
    members: Sequence[Member]


async def sync_directory(session: AsyncSession, directory: Directory) -> None:
    """Upsert what the config names; keep rows it no longer names, for history."""
    for store in directory.stores:
        await session.merge(store)
    await session.flush()
    for account in directory.accounts:
        await session.merge(account)
    for member in directory.members:
        exists = (
            await session.execute(select(members.c.id).where(members.c.id == member.id))
        ).first()
        if exists:
            await session.execute(
                update(members).where(members.c.id == member.id).values(name=member.name)
            )
        else:
            await session.execute(insert(members).values(id=member.id, name=member.name))
    await session.flush()
    await session.execute(delete(member_roles))
    rows = [
        {"member_id": m.id, "store_id": store_id, "role": role.value}
        for m in directory.members
        for store_id, role in m.roles.items()
    ]
    if rows:
        await session.execute(insert(member_roles), rows)
    # Chain heads exist before the first event, so concurrent first writers cannot race.
    heads = set((await session.execute(select(audit_heads.c.chain))).scalars())
    for chain in [SYSTEM_CHAIN, *(s.id for s in directory.stores)]:
        if chain not in heads:
            await session.execute(
                insert(audit_heads).values(chain=chain, chain_seq=0, hash=GENESIS)
            )


def _content_key(article: ArticleRecord) -> str:
    return hashlib.sha256(
        json.dumps([article.language, article.title, article.body], ensure_ascii=False).encode()
    ).hexdigest()


async def sync_articles(
    session: AsyncSession, articles: Sequence[ArticleRecord], now: datetime
) -> list[ArticleRecord]:
    """Give each article its version: unchanged keeps it, changed gets the next one.

    Old versions stay in the table (retired), because evidence cites them.
    """
    latest: dict[str, tuple[int, str]] = {}
    for row in (
        await session.execute(
            select(
                knowledge_articles.c.id,
                knowledge_articles.c.version,
                knowledge_articles.c.content_hash,
            ).where(knowledge_articles.c.status == ACTIVE)
        )
    ).all():
        latest[row.id] = (row.version, row.content_hash)
    versioned: list[ArticleRecord] = []
    seen: set[str] = set()
    for article in articles:
        seen.add(article.id)
        key = _content_key(article)
        current = latest.get(article.id)
        if current is not None and current[1] == key:
            versioned.append(replace(article, version=current[0]))
            continue
        if current is not None:
            await _retire(session, article.id)
        version = await _next_version(session, article.id)
        await session.execute(
            insert(knowledge_articles).values(
                id=article.id,
                version=version,
                store_id=article.store_id,
                language=article.language,
                title=article.title,
                body=article.body,
                content_hash=key,
                status=ACTIVE,
                created_at=now,
            )
        )
        versioned.append(replace(article, version=version))
    for gone in set(latest) - seen:
        await _retire(session, gone)
    return versioned


async def _retire(session: AsyncSession, article_id: str) -> None:
    await session.execute(
        update(knowledge_articles)
        .where(knowledge_articles.c.id == article_id, knowledge_articles.c.status == ACTIVE)
        .values(status=RETIRED)
    )


async def _next_version(session: AsyncSession, article_id: str) -> int:
    versions = (
        await session.execute(
            select(knowledge_articles.c.version).where(knowledge_articles.c.id == article_id)
        )
    ).scalars()
    return max(versions, default=0) + 1
