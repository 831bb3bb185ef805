"""Engines for SQLite (WAL, BEGIN IMMEDIATE) and PostgreSQL, built from one URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.orm import start_mappers

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass
class Database:
    """A write engine (serialized on SQLite) and a read engine that never blocks writers."""

    url: str
    writer: AsyncEngine
    reader: AsyncEngine
    write_sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _sqlite_pragmas(immediate: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN so we can make it IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL: a row that records a send survives power loss, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    # SQLite has one writer at a time. Queueing writers on a single pooled connection is
    # FIFO and wakes at once; letting them collide makes SQLite's busy handler sleep.
    pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} if immediate else {}
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool
    )
    on_connect, on_begin = _sqlite_pragmas(immediate)
    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def open_database(url: str, *, pool_size: int = 10) -> Database:
    start_mappers()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        writer = _sqlite_engine(url, immediate=True)
        reader = _sqlite_engine(url, immediate=False)
    else:
        writer = create_async_engine(url, pool_size=pool_size, pool_pre_ping=True)
        reader = writer
    return Database(
        url=url,
        writer=writer,
        reader=reader,
        write_sessions=async_sessionmaker(writer, expire_on_commit=False),
        read_sessions=async_sessionmaker(reader, expire_on_commit=False),
    )
