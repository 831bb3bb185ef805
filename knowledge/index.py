"""Knowledge articles in LanceDB embedded on disk: the `Retriever` the drafting service uses."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.db import DBConnection
from lancedb.table import Table

from bot.ports import KnowledgeHit
from knowledge.articles import ArticleRecord
from knowledge.embeddings import Embedder

_T = TypeVar("_T")
_DELETE_BATCH = 500
_RESULT_COLUMNS = ["id", "version", "language", "title", "body", "_distance"]


def sql_literal(value: str) -> str:
    """A SQL string literal for LanceDB filters; quotes are doubled, so values stay values."""
    return "'" + value.replace("'", "''") + "'"


def embedding_text(article: ArticleRecord) -> str:
    return f"{article.title}\n{article.body}"


class KnowledgeIndex:
    """Vector search over articles, scoped to one store before ranking.

    `sync` makes the table hold exactly the given articles and embeds only those whose
    content hash changed, so a restart with unchanged knowledge embeds nothing.
    Blocking LanceDB and model work runs in worker threads.
    """

    def __init__(
        self,
        path: str | Path,
        embedder: Embedder,
        *,
        table_name: str = "knowledge_articles",
        read_consistency_interval: timedelta | None = timedelta(seconds=5),
    ) -> None:
        self._path = Path(path)
        self._embedder = embedder
        self._table_name = table_name
        # Other processes syncing the same directory become visible within this interval.
        self._read_consistency_interval = read_consistency_interval
        self._db: DBConnection | None = None
        self._table: Table | None = None
        self._handle_lock = threading.Lock()
        self._write_lock = threading.Lock()

    # --- Retriever port -----------------------------------------------------------------

    async def search(
        self, store_id: str, text: str, language: str, limit: int = 3
    ) -> list[KnowledgeHit]:
        """Best articles of `store_id` for `text`, any language; the drafter weighs language."""
        if not text.strip() or limit <= 0:
            return []
        return await asyncio.to_thread(
            self._with_reopen, self._search_blocking, store_id, text, limit
        )

    # --- maintenance --------------------------------------------------------------------

    async def sync(self, articles: Sequence[ArticleRecord]) -> int:
        """Make the index hold exactly `articles`; returns how many were (re-)embedded."""
        return await asyncio.to_thread(self._sync_blocking, list(articles))

    # --- blocking work, run in threads ----------------------------------------------------

    def _search_blocking(self, store_id: str, text: str, limit: int) -> list[KnowledgeHit]:
        table = self._current_table()
        if table is None:
            return []
        vector = self._embedder.embed([text])[0]
        rows = (
            table.search(vector, vector_column_name="vector")
            .distance_type("cosine")
            .where(f"store_id = {sql_literal(store_id)}", prefilter=True)
            .select(_RESULT_COLUMNS)
            .limit(limit)
            .to_list()
        )
        return [
            KnowledgeHit(
                article_id=row["id"],
                version=int(row["version"]),
                title=row["title"],
                text=row["body"],
                language=row["language"],
                score=1.0 - float(row["_distance"]),
            )
            for row in rows
        ]

    def _sync_blocking(self, articles: list[ArticleRecord]) -> int:
        ids = [article.id for article in articles]
        duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
        if duplicates:
            raise ValueError(f"article ids must be unique, repeated: {duplicates}")
        with self._write_lock:
            table = self._reopen()
            if table is not None and table.schema != self._schema():
                # Another embedder (dimension) or an older layout: rebuild from scratch.
                self._connection().drop_table(self._table_name)
                table = None
            held = self._held_hashes(table) if table is not None else {}
            changed = [
                article for article in articles if held.get(article.id) != article.content_hash
            ]
            rows = self._rows(changed)
            if table is None:
                table = self._connection().create_table(
                    self._table_name, data=rows, schema=self._schema(), mode="overwrite"
                )
            elif changed:
                (
                    table.merge_insert("id")
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .execute(rows)
                )
            stale = sorted(set(held) - set(ids))
            for start in range(0, len(stale), _DELETE_BATCH):
                batch = stale[start : start + _DELETE_BATCH]
                table.delete(f"id IN ({', '.join(sql_literal(i) for i in batch)})")
            with self._handle_lock:
                self._table = table
            return len(changed)

    def _held_hashes(self, table: Table) -> dict[str, str]:
        held = table.search().select(["id", "content_hash"]).limit(None).to_arrow()
        return dict(zip(held["id"].to_pylist(), held["content_hash"].to_pylist(), strict=True))

    def _rows(self, articles: list[ArticleRecord]) -> pa.Table:
        vectors = self._embedder.embed([embedding_text(a) for a in articles])
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(articles), self._embedder.dim)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        columns: dict[str, Any] = {
            "id": [a.id for a in articles],
            "version": [a.version for a in articles],
            "store_id": [a.store_id for a in articles],
            "language": [a.language for a in articles],
            "title": [a.title for a in articles],
            "body": [a.body for a in articles],
            "content_hash": [a.content_hash for a in articles],
            "vector": pa.FixedSizeListArray.from_arrays(flat, self._embedder.dim),
        }
        return pa.table(columns, schema=self._schema())

    def _schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field("id", pa.string(), nullable=False),
                pa.field("version", pa.int64(), nullable=False),
                pa.field("store_id", pa.string(), nullable=False),
                pa.field("language", pa.string(), nullable=False),
                pa.field("title", pa.string(), nullable=False),
                pa.field("body", pa.string(), nullable=False),
                pa.field("content_hash", pa.string(), nullable=False),
                pa.field("vector", pa.list_(pa.field("item", pa.float32()), self._embedder.dim)),
            ]
        )

    # --- handles ------------------------------------------------------------------------

    def _with_reopen(self, work: Callable[..., _T], *args: Any) -> _T:
        """Run `work`; if the held table handle went stale (dropped, rebuilt), reopen once."""
        try:
            return work(*args)
        except (OSError, RuntimeError, ValueError):
            with self._handle_lock:
                self._table = None
            return work(*args)

    def _connection(self) -> DBConnection:
        with self._handle_lock:
            if self._db is None:
                self._path.mkdir(parents=True, exist_ok=True)
                self._db = lancedb.connect(
                    self._path, read_consistency_interval=self._read_consistency_interval
                )
            return self._db

    def _current_table(self) -> Table | None:
        with self._handle_lock:
            if self._table is not None:
                return self._table
        return self._reopen()

    def _reopen(self) -> Table | None:
        db = self._connection()
        if not self._table_exists(db):
            return None
        table = db.open_table(self._table_name)
        with self._handle_lock:
            self._table = table
        return table

    def _table_exists(self, db: DBConnection) -> bool:
        page_token: str | None = None
        while True:
            page = db.list_tables(page_token=page_token)
            if self._table_name in page.tables:
                return True
            page_token = page.page_token
            if not page_token:
                return False
