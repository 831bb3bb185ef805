"""Editing an FAQ answer makes a new article version; the old one stays for evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.model import Store, StoreMode
from knowledge.articles import ArticleRecord
from storage import migrate
from storage.database import open_database
from storage.directory import Directory, sync_articles, sync_directory
from storage.orm import knowledge_articles


async def test_a_changed_answer_gets_the_next_version_and_the_old_one_is_retired(tmp_path):
    db = open_database(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
    await migrate.upgrade(db)
    now = datetime.now(UTC)
    store = Store("s", "S", "B", "EU", ["en"], "UTC", StoreMode.DRAFT)
    article = ArticleRecord("s/faq/returns", 1, "s", "en", "Returns?", "Within 30 days.")
    try:
        async with db.write_sessions() as session, session.begin():
            await sync_directory(session, Directory([store], [], []))
            first = await sync_articles(session, [article], now)
        async with db.write_sessions() as session, session.begin():
            unchanged = await sync_articles(session, [article], now)
        async with db.write_sessions() as session, session.begin():
            edited = await sync_articles(session, [replace(article, body="Within 60 days.")], now)
        async with db.read_sessions() as session:
            rows = (
                await session.execute(
                    select(
                        knowledge_articles.c.version,
                        knowledge_articles.c.status,
                        knowledge_articles.c.body,
                    ).order_by(knowledge_articles.c.version)
                )
            ).all()
    finally:
        await db.dispose()
    assert [a.version for a in first + unchanged + edited] == [1, 1, 2]
    assert [tuple(r) for r in rows] == [
        (1, "retired", "Within 30 days."),
        (2, "active", "Within 60 days."),
    ]
