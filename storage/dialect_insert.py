"""INSERT with ON CONFLICT clauses, in the dialect of the database at hand.

SQLite and PostgreSQL spell `ON CONFLICT` the same way, but SQLAlchemy offers it on each
dialect's own `insert`; this picks the one for a dialect name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(dialect: str) -> Callable[[Any], Any]:
    return pg_insert if dialect == "postgresql" else sqlite_insert
