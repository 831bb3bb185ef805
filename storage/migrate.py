"""Brings a database to the newest schema with Alembic, on the app's own connection."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
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


async def upgrade(db: Database) -> None:
    async with db.writer.begin() as connection:
        await connection.run_sync(_upgrade)
