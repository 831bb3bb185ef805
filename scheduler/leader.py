"""Who runs the scheduler: exactly one instance, chosen by a PostgreSQL advisory lock.

The lock is held by a session on a dedicated connection (no pool: closing it really ends
the session). If the leader dies its connection drops, PostgreSQL releases the lock and a
follower's next try takes it. On SQLite there is only ever one instance, so it leads.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

LOCK_NAME = "storedesk:scheduler"


def lock_id(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership(Protocol):
    async def try_acquire(self) -> bool: ...
    async def still_held(self) -> bool: ...
    async def release(self) -> None: ...


class SingleInstance:
    """SQLite: one process owns the database file, so it always leads."""

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLockLeadership:
    def __init__(self, url: str, name: str = LOCK_NAME, timeout_seconds: float = 5.0) -> None:
        self._url = url
        self._key = lock_id(name)
        self._timeout = timeout_seconds
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    def _engine_for_lock(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                self._url, poolclass=NullPool, connect_args={"timeout": self._timeout}
            )
        return self._engine

    async def try_acquire(self) -> bool:
        if self._connection is not None:
            return await self.still_held()
        try:
            connection = await self._engine_for_lock().connect()
        except Exception as failure:
            logger.warning("scheduler leadership: cannot connect (%s)", failure)
            return False
        try:
            got = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
                )
            ).scalar()
            await connection.commit()  # a session lock outlives the transaction
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        """Ask on the lock's own connection: if it broke, the lock is gone with it."""
        if self._connection is None:
            return False
        try:
            await self._connection.execute(text("SELECT 1"))
            await self._connection.commit()
            return True
        except Exception as failure:
            logger.warning("scheduler leadership lost (%s)", type(failure).__name__)
            await self._drop()
            return False

    async def release(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                )
                await self._connection.commit()
            except Exception as failure:  # closing the session releases it anyway
                logger.warning("scheduler leadership: unlock failed (%s)", failure)
            await self._drop()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
                await connection.close()
            except Exception as failure:
                logger.debug("closing a broken lock connection: %s", failure)
