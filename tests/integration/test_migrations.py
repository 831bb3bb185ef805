"""Alembic migrations build exactly the schema the code declares, and re-running is harmless."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select

from storage import migrate
from storage.database import Database, open_database
from storage.orm import metadata, stores


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path: Path) -> AsyncIterator[Database]:
    """The same migrations must apply cleanly on both engines."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    database = open_database(url)
    yield database
    await database.dispose()


def _head() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert head is not None
    return head


async def _tables(db: Database) -> set[str]:
    async with db.reader.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def _revision(db: Database) -> str | None:
    async with db.reader.connect() as connection:
        return await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )


async def _differences(db: Database) -> list:
    def compare(connection) -> list:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, metadata)

    async with db.reader.connect() as connection:
        return await connection.run_sync(compare)


async def test_upgrade_on_a_fresh_database_creates_every_table(db):
    assert await _tables(db) == set()
    await migrate.upgrade(db)
    assert await _tables(db) == set(metadata.tables) | {"alembic_version"}
    assert await _revision(db) == _head()


async def test_migrated_schema_matches_the_declared_metadata(db):
    await migrate.upgrade(db)
    assert await _differences(db) == []


async def test_a_fresh_database_differs_from_the_metadata(db):
    """The comparison above can fail: before migrating, every table is reported missing."""
    differences = await _differences(db)
    added = {diff[1].name for diff in differences if diff[0] == "add_table"}
    assert added == set(metadata.tables)


async def test_upgrading_twice_is_harmless_and_keeps_data(db):
    await migrate.upgrade(db)
    async with db.writer.begin() as connection:
        await connection.execute(
            insert(stores).values(
                id="northwind",
                name="Northwind",
                brand="Northwind",
                region="EU",
                languages=["en"],
                timezone="UTC",
                mode="draft",
                tone={},
            )
        )
    await migrate.upgrade(db)
    assert await _revision(db) == _head()
    assert await _differences(db) == []
    async with db.reader.connect() as connection:
        names = (await connection.execute(select(stores.c.name))).scalars().all()
    assert names == ["Northwind"]


async def test_instances_starting_together_migrate_one_after_the_other(postgres_url):
    """Two app instances on one fresh PostgreSQL both come up; neither trips on the other."""
    first, second = open_database(postgres_url), open_database(postgres_url)
    try:
        # Bounded: without the lock the two transactions can wait on each other for ever.
        await asyncio.wait_for(
            asyncio.gather(migrate.upgrade(first), migrate.upgrade(second)), timeout=60
        )
        assert await _revision(first) == _head()
        assert await _differences(first) == []
    finally:
        await first.dispose()
        await second.dispose()
