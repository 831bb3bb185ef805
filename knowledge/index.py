"""Knowledge chunks in LanceDB embedded on disk: the `Retriever` the drafting service uses.

Hybrid search: the local embedder's vectors and full-text (ICU tokenizer, so Chinese is cut
into words with no download) run as two queries, each with the scope as a prefilter `where`,
and are fused with reciprocal-rank fusion. Chunks collapse to articles, and of articles
answering one topic the most specific scope wins.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.db import DBConnection
from lancedb.table import AsyncTable, Table

from bot.ports import KnowledgeHit, KnowledgeScope
from knowledge.articles import ArticleRecord
from knowledge.chunking import Chunk, chunk_article
from knowledge.embeddings import Embedder
from knowledge.scope import (
    ALL,
    NEVER,
    epoch_us,
    lance_filter,
    most_specific_per_topic,
    specificity,
    sql_literal,
    valid_row,
)

logger = logging.getLogger(__name__)

_DELETE_BATCH = 500
_EMBED_BATCH = 256
ChunkProgress = Callable[[int, int], None]
RRF_K = 60  # the usual constant: rank 1 and rank 2 differ little, rank 1 and 50 a lot
CANDIDATES = 20  # per query, before fusion
SCOPE_COLUMNS = ("store_id", "brand", "region", "language", "campaign")
# Everything a result needs, packed as JSON in the one `payload` column: LanceDB reads a
# query's winners back column by column, so one column instead of thirteen saves about a
# third of a scoped search.
PAYLOAD_FIELDS = (
    "chunk_id",
    "article_id",
    "version",
    "topic",
    "title",
    "text",
    *SCOPE_COLUMNS,
    "valid_from",
    "valid_until",
)

__all__ = ["KnowledgeIndex", "sql_literal"]


@dataclass
class _Candidate:
    row: dict[str, Any]
    rrf: float
    cosine: float | None  # None: found by full-text only, not scored yet

    @property
    def specificity(self) -> tuple[int, ...]:
        return specificity(**{name: self.row[name] for name in SCOPE_COLUMNS})


def chunk_hash(chunk: Chunk) -> str:
    return hashlib.sha256(
        f"{chunk.article.content_hash}|{chunk.ordinal}|{chunk.search_text}".encode()
    ).hexdigest()


class KnowledgeIndex:
    """Scoped hybrid search over active article versions.

    `sync` makes the table hold exactly the chunks of the given articles and embeds only
    chunks whose content hash changed, so a restart with unchanged knowledge embeds nothing.
    Blocking LanceDB and model work runs in worker threads.
    """

    def __init__(
        self,
        path: str | Path,
        embedder: Embedder,
        *,
        table_name: str = "knowledge_chunks",
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
        self._reads: tuple[asyncio.AbstractEventLoop, AsyncTable] | None = None
        self._writes = 0  # counts finished writes, so a handle opened before one is not kept

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    # --- Retriever port -----------------------------------------------------------------

    async def search(self, scope: KnowledgeScope, text: str, limit: int = 3) -> list[KnowledgeHit]:
        """Best articles for `text` among those valid for `scope`, most specific per topic."""
        if not text.strip() or limit <= 0:
            return []
        vector = (await asyncio.to_thread(self._embedder.embed, [text]))[0]
        return await self.search_vector(scope, text, vector, limit)

    async def search_vector(
        self, scope: KnowledgeScope, text: str, vector: np.ndarray, limit: int = 3
    ) -> list[KnowledgeHit]:
        """`search` with the query already embedded (the benchmark times this part alone)."""
        try:
            return await self._hybrid(scope, text, vector, limit)
        except (OSError, RuntimeError, ValueError):
            self._reads = None  # the table was rebuilt or dropped meanwhile: reopen once
            return await self._hybrid(scope, text, vector, limit)

    async def _hybrid(
        self, scope: KnowledgeScope, text: str, vector: np.ndarray, limit: int
    ) -> list[KnowledgeHit]:
        table = await self._read_table()
        if table is None:
            return []
        # The time window is checked on the candidates rather than in the filter: the
        # scalar indices answer the scope at once, while the range test reads every row.
        by_vector, by_text = await self._candidates(
            table, lance_filter(scope, validity=False), text, vector
        )
        now = epoch_us(scope.at, 0)
        if not all(valid_row(row, now) for row in (*by_vector, *by_text)):
            # An expired or future row took a candidate's place: ask again with the window
            # in the filter, so the candidates are exactly those a full filter would give.
            by_vector, by_text = await self._candidates(table, lance_filter(scope), text, vector)
        resolved = self._fuse(by_vector, by_text)[:limit]
        await self._score_text_only(table, [group for _, group in resolved], vector)
        return [
            KnowledgeHit(
                article_id=winner.row["article_id"],
                version=int(winner.row["version"]),
                title=winner.row["title"],
                text=winner.row["text"],
                language=winner.row["language"] or "",
                # The group answers one question: its best match says how well.
                score=max(c.cosine for c in group if c.cosine is not None),
            )
            for winner, group in resolved
        ]

    async def _candidates(
        self, table: AsyncTable, where: str, text: str, vector: np.ndarray
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        # LanceDB's async API runs both queries at once in its own runtime, not in threads.
        by_vector, by_text = await asyncio.gather(
            table.query()
            .nearest_to(vector)
            .distance_type("cosine")
            .where(where)
            # Not the vector itself: `_distance` already says it, and reading the column
            # back more than doubles the query time.
            .select(["payload"])
            .limit(CANDIDATES)
            .to_list(),
            self._text_rows(table, where, text),
        )
        return [_unpacked(row) for row in by_vector], [_unpacked(row) for row in by_text]

    async def _text_rows(self, table: AsyncTable, where: str, text: str) -> list[dict[str, Any]]:
        try:
            return await (
                table.query()
                .nearest_to_text(text, columns="search_text")
                .where(where)
                .select(["payload"])
                .limit(CANDIDATES)
                .to_list()
            )
        except (ValueError, RuntimeError) as problem:
            # No full-text index yet, or a query the parser refuses: vectors still answer.
            logger.debug("full-text search skipped: %s", problem)
            return []

    async def _read_table(self) -> AsyncTable | None:
        """An async handle for reads, per event loop; writes drop it so reads see them."""
        loop = asyncio.get_running_loop()
        reads = self._reads
        if reads is not None and reads[0] is loop:
            return reads[1]
        writes = self._writes
        db = await lancedb.connect_async(
            self._path, read_consistency_interval=self._read_consistency_interval
        )
        try:
            table = await db.open_table(self._table_name)
        except (ValueError, FileNotFoundError, RuntimeError):
            return None
        if writes == self._writes:  # else a write finished while this opened: do not keep it
            self._reads = (loop, table)
        return table

    # --- maintenance --------------------------------------------------------------------

    async def sync(self, articles: Sequence[ArticleRecord]) -> int:
        """Make the index hold exactly `articles`; returns how many chunks were embedded."""
        return await asyncio.to_thread(self._sync_blocking, list(articles), None)

    async def apply(
        self,
        upserts: Sequence[ArticleRecord],
        removed: Sequence[str] = (),
        progress: ChunkProgress | None = None,
    ) -> int:
        """Replace the chunks of `upserts` and drop those of `removed` article ids only.

        `progress(done, total)` hears of chunks embedded batch by batch (from a worker
        thread), and `total` of `total` once they are written to the index."""
        touched = {a.id for a in upserts} | set(removed)
        return await asyncio.to_thread(self._sync_blocking, list(upserts), touched, progress)

    def build_blocking(
        self, articles: Sequence[ArticleRecord], vectors: np.ndarray | None = None
    ) -> int:
        """A fresh table from scratch, rows ordered by scope so a store's rows sit together.

        `vectors` (one per chunk, in `chunks_of(articles)` order) skips embedding: the
        benchmark uses it to build 100,000 chunks without hours of model time.
        """
        chunks = chunks_of(articles)
        order = sorted(
            range(len(chunks)),
            key=lambda i: tuple(_scope_value(chunks[i].article, n) for n in SCOPE_COLUMNS),
        )
        chunks = [chunks[i] for i in order]
        if vectors is not None:
            vectors = np.asarray(vectors, dtype=np.float32)[order]
        rows = self._rows(chunks, vectors)
        with self._write_lock:
            table = self._connection().create_table(
                self._table_name, data=rows, schema=self._schema(), mode="overwrite"
            )
            self._create_indices(table)
            with self._handle_lock:
                self._table = table
            self._after_write()
        return len(chunks)

    # --- blocking work, run in threads ----------------------------------------------------

    def _fuse(
        self, by_vector: list[dict[str, Any]], by_text: list[dict[str, Any]]
    ) -> list[tuple[_Candidate, list[_Candidate]]]:
        """Reciprocal-rank fusion, one chunk per article, the most specific per topic."""
        candidates: dict[str, _Candidate] = {}
        for ranking in (by_vector, by_text):
            for rank, row in enumerate(ranking, start=1):
                found = candidates.get(row["chunk_id"])
                if found is None:
                    cosine = 1.0 - float(row["_distance"]) if "_distance" in row else None
                    found = candidates[row["chunk_id"]] = _Candidate(row, 0.0, cosine)
                found.rrf += 1.0 / (RRF_K + rank)
        best_chunk: dict[str, _Candidate] = {}
        for candidate in sorted(candidates.values(), key=lambda c: -c.rrf):
            best_chunk.setdefault(candidate.row["article_id"], candidate)
        return most_specific_per_topic(
            list(best_chunk.values()),
            topic_of=lambda c: c.row["topic"],
            specificity_of=lambda c: c.specificity,
        )

    async def _score_text_only(
        self,
        table: AsyncTable,
        groups: list[list[_Candidate]],
        vector: np.ndarray,
    ) -> None:
        """Cosines for groups found by full-text alone, read from their stored vectors.

        A group with one vector-found member needs nothing more: every chunk the vector
        query left out is further from the question than all it returned."""
        unscored = [c for group in groups if all(c.cosine is None for c in group) for c in group]
        if not unscored:
            return
        article_ids = sorted({c.row["article_id"] for c in unscored})
        articles = ", ".join(sql_literal(i) for i in article_ids)
        chunks = ", ".join(sql_literal(c.row["chunk_id"]) for c in unscored)
        rows = await (
            table.query()
            .where(f"article_id IN ({articles}) AND chunk_id IN ({chunks})")
            .select(["chunk_id", "vector"])
            .to_list()
        )
        stored = {row["chunk_id"]: np.asarray(row["vector"], dtype=np.float32) for row in rows}
        for candidate in unscored:
            found = stored.get(candidate.row["chunk_id"])
            # Rewritten meanwhile: no better guess than "not similar".
            candidate.cosine = float(np.dot(found, vector)) if found is not None else 0.0

    def _sync_blocking(
        self,
        articles: list[ArticleRecord],
        touched: set[str] | None,
        progress: ChunkProgress | None = None,
    ) -> int:
        ids = [article.id for article in articles]
        duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
        if duplicates:
            raise ValueError(f"article ids must be unique, repeated: {duplicates}")
        chunks = chunks_of(articles)
        with self._write_lock:
            table = self._reopen()
            if table is not None and table.schema != self._schema():
                # Another embedder (dimension) or an older layout: rebuild from scratch.
                self._connection().drop_table(self._table_name)
                table = None
            held = self._held_hashes(table, touched) if table is not None else {}
            changed = [c for c in chunks if held.get(c.chunk_id) != chunk_hash(c)]
            rows = self._rows(changed, progress=progress)
            if table is None:
                table = self._connection().create_table(
                    self._table_name, data=rows, schema=self._schema(), mode="overwrite"
                )
                self._create_indices(table)
            elif changed:
                (
                    table.merge_insert("chunk_id")
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .execute(rows)
                )
            stale = sorted(set(held) - {c.chunk_id for c in chunks})
            for start in range(0, len(stale), _DELETE_BATCH):
                batch = stale[start : start + _DELETE_BATCH]
                table.delete(f"chunk_id IN ({', '.join(sql_literal(i) for i in batch)})")
            if changed or stale:
                table.optimize()  # folds new rows into the full-text and scalar indices
            with self._handle_lock:
                self._table = table
            self._after_write()
            if progress is not None and changed:
                progress(len(changed), len(changed))
            return len(changed)

    def _held_hashes(self, table: Table, touched: set[str] | None) -> dict[str, str]:
        query = table.search().select(["chunk_id", "content_hash"]).limit(None)
        if touched is not None:
            if not touched:
                return {}
            query = query.where(
                f"article_id IN ({', '.join(sql_literal(i) for i in sorted(touched))})"
            )
        held = query.to_arrow()
        return dict(
            zip(held["chunk_id"].to_pylist(), held["content_hash"].to_pylist(), strict=True)
        )

    def _rows(
        self,
        chunks: list[Chunk],
        vectors: np.ndarray | None = None,
        progress: ChunkProgress | None = None,
    ) -> pa.Table:
        if vectors is None:
            texts = [c.search_text for c in chunks]
            parts = []
            for start in range(0, len(texts), _EMBED_BATCH):
                parts.append(self._embedder.embed(texts[start : start + _EMBED_BATCH]))
                done = min(start + _EMBED_BATCH, len(texts))
                if progress is not None and done < len(texts):  # the last: once written
                    progress(done, len(texts))
            vectors = np.concatenate(parts) if parts else np.zeros((0, self._embedder.dim))
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self._embedder.dim)
        flat = pa.array(vectors.reshape(-1), type=pa.float32())
        columns: dict[str, Any] = {
            "chunk_id": [c.chunk_id for c in chunks],
            "article_id": [c.article.id for c in chunks],
            "heading": [c.heading for c in chunks],
            "search_text": [c.search_text for c in chunks],
            **{n: [_scope_value(c.article, n) for c in chunks] for n in SCOPE_COLUMNS},
            "valid_from": [epoch_us(c.article.valid_from, 0) for c in chunks],
            "valid_until": [epoch_us(c.article.valid_until, NEVER) for c in chunks],
            "content_hash": [chunk_hash(c) for c in chunks],
            "payload": [_packed(c) for c in chunks],
            "vector": pa.FixedSizeListArray.from_arrays(flat, self._embedder.dim),
        }
        return pa.table(columns, schema=self._schema())

    def _create_indices(self, table: Table) -> None:
        # The synchronous table's `create_index` takes vector indices only; the named
        # helpers below are the documented way for full-text and scalar indices.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            # ICU splits Chinese into words; English stems and stop words are dropped.
            table.create_fts_index("search_text", base_tokenizer="icu", replace=True)
            for column in SCOPE_COLUMNS:
                table.create_scalar_index(column, index_type="BITMAP", replace=True)
            table.create_scalar_index("article_id", index_type="BTREE", replace=True)

    def _schema(self) -> pa.Schema:
        text = pa.string()
        return pa.schema(
            [
                pa.field("chunk_id", text, nullable=False),
                pa.field("article_id", text, nullable=False),
                pa.field("heading", text, nullable=False),
                pa.field("search_text", text, nullable=False),
                *(pa.field(n, text, nullable=False) for n in SCOPE_COLUMNS),
                pa.field("valid_from", pa.int64(), nullable=False),
                pa.field("valid_until", pa.int64(), nullable=False),
                pa.field("content_hash", text, nullable=False),
                pa.field("payload", text, nullable=False),
                pa.field("vector", pa.list_(pa.field("item", pa.float32()), self._embedder.dim)),
            ]
        )

    def _after_write(self) -> None:
        """Reads reopen, and one opening meanwhile does not keep its older handle."""
        self._writes += 1
        self._reads = None

    # --- handles ------------------------------------------------------------------------

    def _connection(self) -> DBConnection:
        with self._handle_lock:
            if self._db is None:
                self._path.mkdir(parents=True, exist_ok=True)
                self._db = lancedb.connect(
                    self._path, read_consistency_interval=self._read_consistency_interval
                )
            return self._db

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


def _packed(chunk: Chunk) -> str:
    article = chunk.article
    fields: dict[str, Any] = {
        "chunk_id": chunk.chunk_id,
        "article_id": article.id,
        "version": article.version,
        "topic": article.topic,
        "title": article.title,
        "text": chunk.text,
        **{n: _scope_value(article, n) for n in SCOPE_COLUMNS},
        "valid_from": epoch_us(article.valid_from, 0),
        "valid_until": epoch_us(article.valid_until, NEVER),
    }
    return json.dumps([fields[name] for name in PAYLOAD_FIELDS], ensure_ascii=False)


def _unpacked(row: dict[str, Any]) -> dict[str, Any]:
    """A query row with its payload spread into named fields (`_distance`, `vector` kept)."""
    unpacked = dict(zip(PAYLOAD_FIELDS, json.loads(row.pop("payload")), strict=True))
    unpacked.update(row)
    return unpacked


def chunks_of(articles: Sequence[ArticleRecord]) -> list[Chunk]:
    return [chunk for article in articles for chunk in chunk_article(article)]


def _scope_value(article: ArticleRecord, column: str) -> str:
    return getattr(article, column) or ALL
