"""Products in LanceDB: the same hybrid search as knowledge, one row per product.

The store filter is a `where` prefilter inside both queries (vector and ICU full text), so
another store's products are never ranked, let alone returned; fusion is reciprocal-rank.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.db import DBConnection
from lancedb.table import Table

from bot.domain.catalog import Product
from knowledge.embeddings import Embedder
from knowledge.index import CANDIDATES, RRF_K
from knowledge.scope import sql_literal

TABLE = "catalog_products"
_EMBED_BATCH = 256
_DELETE_BATCH = 500


@dataclass(frozen=True)
class IndexHit:
    store_id: str
    product_id: str
    score: float  # cosine similarity of the query and the product text


def row_key(store_id: str, product_id: str) -> str:
    return f"{store_id}\x1f{product_id}"


class ProductIndex:
    """Blocking LanceDB work runs in worker threads; writes are serialized by a lock."""

    def __init__(self, path: str | Path, embedder: Embedder) -> None:
        self._path = Path(path)
        self._embedder = embedder
        self._lock = threading.Lock()
        self._db: DBConnection | None = None
        self._table: Table | None = None  # kept open; other processes' writes show within 5 s

    async def search(self, store_ids: Sequence[str], text: str, limit: int) -> list[IndexHit]:
        if not store_ids or not text.strip() or limit <= 0:
            return []
        vector = (await asyncio.to_thread(self._embedder.embed, [text]))[0]
        return await asyncio.to_thread(self._search_blocking, list(store_ids), text, vector, limit)

    async def apply(
        self, upserts: Sequence[Product], removed: Sequence[tuple[str, str]] = ()
    ) -> int:
        """Index changed products and drop removed ones; returns how many were embedded."""
        return await asyncio.to_thread(self._apply_blocking, list(upserts), list(removed))

    async def sync(self, products: Sequence[Product]) -> int:
        """Make the index hold exactly `products`, embedding only those that changed."""
        return await asyncio.to_thread(self._sync_blocking, list(products))

    # --- blocking work ------------------------------------------------------------------

    def _search_blocking(
        self, store_ids: list[str], text: str, vector: np.ndarray, limit: int
    ) -> list[IndexHit]:
        table = self._table or self._open()
        if table is None:
            return []
        where = f"store_id IN ({', '.join(sql_literal(s) for s in sorted(set(store_ids)))})"
        columns = ["key", "store_id", "product_id"]
        by_vector = (
            table.search(vector, vector_column_name="vector")
            .distance_type("cosine")
            .where(where, prefilter=True)
            .select([*columns, "_distance"])
            .limit(CANDIDATES)
            .to_list()
        )
        try:
            by_text = (
                table.search(text, query_type="fts", fts_columns="search_text")
                .where(where, prefilter=True)
                .select([*columns, "vector", "_score"])
                .limit(CANDIDATES)
                .to_list()
            )
        except (ValueError, RuntimeError):
            by_text = []  # a query the full-text parser refuses: vectors still answer
        fused: dict[str, list[Any]] = {}
        for ranking in (by_vector, by_text):
            for rank, row in enumerate(ranking, start=1):
                entry = fused.setdefault(row["key"], [row, 0.0, _cosine(row, vector)])
                entry[1] += 1.0 / (RRF_K + rank)
        ordered = sorted(fused.values(), key=lambda e: -e[1])[:limit]
        return [IndexHit(row["store_id"], row["product_id"], cosine) for row, _, cosine in ordered]

    def _apply_blocking(self, upserts: list[Product], removed: list[tuple[str, str]]) -> int:
        with self._lock:
            table = self._open()
            if table is None and not upserts:
                return 0
            if table is None:
                table = self._create(self._rows(upserts))
            elif upserts:
                rows = self._rows(upserts)
                table.merge_insert(
                    "key"
                ).when_matched_update_all().when_not_matched_insert_all().execute(rows)
            self._delete(table, [row_key(s, p) for s, p in removed])
            if upserts or removed:
                table.optimize()
            return len(upserts)

    def _sync_blocking(self, products: list[Product]) -> int:
        with self._lock:
            table = self._open()
            if table is None:
                if products:  # no table until there is a catalogue: starts stay cheap
                    self._create(self._rows(products))
                return len(products)
            held = table.search().select(["key", "content_hash"]).limit(None).to_arrow()
            hashes = dict(
                zip(held["key"].to_pylist(), held["content_hash"].to_pylist(), strict=True)
            )
            changed = [
                p for p in products if hashes.get(row_key(p.store_id, p.id)) != p.content_hash()
            ]
            if changed:
                rows = self._rows(changed)
                table.merge_insert(
                    "key"
                ).when_matched_update_all().when_not_matched_insert_all().execute(rows)
            stale = sorted(set(hashes) - {row_key(p.store_id, p.id) for p in products})
            self._delete(table, stale)
            if changed or stale:
                table.optimize()
            return len(changed)

    def _delete(self, table: Table, keys: list[str]) -> None:
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            table.delete(f"key IN ({', '.join(sql_literal(k) for k in batch)})")

    def _rows(self, products: list[Product]) -> pa.Table:
        texts = [p.search_text() for p in products]
        parts = [
            self._embedder.embed(texts[i : i + _EMBED_BATCH])
            for i in range(0, len(texts), _EMBED_BATCH)
        ]
        vectors = np.concatenate(parts) if parts else np.zeros((0, self._embedder.dim))
        flat = pa.array(np.asarray(vectors, dtype=np.float32).reshape(-1), type=pa.float32())
        return pa.table(
            {
                "key": [row_key(p.store_id, p.id) for p in products],
                "store_id": [p.store_id for p in products],
                "product_id": [p.id for p in products],
                "search_text": texts,
                "content_hash": [p.content_hash() for p in products],
                "vector": pa.FixedSizeListArray.from_arrays(flat, self._embedder.dim),
            },
            schema=self._schema(),
        )

    def _schema(self) -> pa.Schema:
        text = pa.string()
        return pa.schema(
            [
                pa.field("key", text, nullable=False),
                pa.field("store_id", text, nullable=False),
                pa.field("product_id", text, nullable=False),
                pa.field("search_text", text, nullable=False),
                pa.field("content_hash", text, nullable=False),
                pa.field("vector", pa.list_(pa.field("item", pa.float32()), self._embedder.dim)),
            ]
        )

    def _create(self, rows: pa.Table) -> Table:
        table = self._connection().create_table(
            TABLE, data=rows, schema=self._schema(), mode="overwrite"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            table.create_fts_index("search_text", base_tokenizer="icu", replace=True)
            table.create_scalar_index("store_id", index_type="BITMAP", replace=True)
            table.create_scalar_index("key", index_type="BTREE", replace=True)
        self._table = table
        return table

    def _connection(self) -> DBConnection:
        if self._db is None:
            self._path.mkdir(parents=True, exist_ok=True)
            self._db = lancedb.connect(self._path, read_consistency_interval=timedelta(seconds=5))
        return self._db

    def _open(self) -> Table | None:
        db = self._connection()
        try:
            table = db.open_table(TABLE)
        except (ValueError, FileNotFoundError, RuntimeError):
            return None
        if table.schema != self._schema():  # another embedder dimension: start over
            db.drop_table(TABLE)
            self._table = None
            return None
        self._table = table
        return table


def _cosine(row: dict[str, Any], vector: np.ndarray) -> float:
    if "_distance" in row:
        return 1.0 - float(row["_distance"])
    return float(np.dot(np.asarray(row["vector"], dtype=np.float32), vector))
