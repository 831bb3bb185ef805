"""SQLite as the default store: durable settings, and writers that never lose an update."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import SQLITE_BUSY_TIMEOUT_MS, Database, open_database

WRITERS = 20


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = open_database(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'storedesk.db'}")
    yield database
    await database.dispose()


async def _pragma(engine, name: str):
    async with engine.connect() as connection:
        return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()


@pytest.mark.parametrize("engine", ["writer", "reader"])
async def test_every_connection_uses_wal_a_busy_timeout_and_full_sync(db, engine):
    engine = getattr(db, engine)
    assert await _pragma(engine, "journal_mode") == "wal"
    assert await _pragma(engine, "busy_timeout") == SQLITE_BUSY_TIMEOUT_MS
    assert SQLITE_BUSY_TIMEOUT_MS >= 1000
    assert await _pragma(engine, "synchronous") == 2  # FULL
    assert await _pragma(engine, "foreign_keys") == 1


async def test_database_directory_is_created(tmp_path, db):
    async with db.writer.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    assert (tmp_path / "nested" / "storedesk.db").exists()
    assert db.dialect == "sqlite"


async def test_concurrent_read_modify_write_loses_no_update(db):
    async with db.writer.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)"
        )
        await connection.exec_driver_sql("INSERT INTO counters VALUES ('hits', 0)")

    async def increment() -> None:
        async with db.write_sessions() as session, session.begin():
            value = (
                await session.execute(text("SELECT value FROM counters WHERE name = 'hits'"))
            ).scalar_one()
            await asyncio.sleep(0.001)  # let the other writers run between read and write
            await session.execute(
                text("UPDATE counters SET value = :value WHERE name = 'hits'"),
                {"value": value + 1},
            )

    await asyncio.gather(*(increment() for _ in range(WRITERS)))

    async with db.read_sessions() as session:
        final = (
            await session.execute(text("SELECT value FROM counters WHERE name = 'hits'"))
        ).scalar_one()
    assert final == WRITERS


async def test_a_write_that_fails_rolls_back_completely(db):
    async with db.writer.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(RuntimeError):
        async with db.write_sessions() as session, session.begin():
            await session.execute(text("INSERT INTO notes (body) VALUES ('half done')"))
            raise RuntimeError("crash between two writes")
    async with db.read_sessions() as session:
        count = (await session.execute(text("SELECT count(*) FROM notes"))).scalar_one()
    assert count == 0
