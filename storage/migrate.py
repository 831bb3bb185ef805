"""Brings a database to the newest schema with Alembic, on the app's own connection."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.database import Database


def alembic_config() -> Config:
    ini = resources.files("storage") / "alembic.ini"
    config = Config(str(ini))
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# Any fixed number: instances starting together on one PostgreSQL take turns migrating.
MIGRATION_LOCK = 0x5D_0001


async def upgrade(db: Database) -> None:
    async with db.writer.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit; the second instance then finds the schema current.
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        await connection.run_sync(_upgrade)
