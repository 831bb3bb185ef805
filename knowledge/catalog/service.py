"""Catalogue changes land in SQL and in the product index; search reads both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.catalog import Product, ProductHit
from bot.ports import Clock
from knowledge.catalog.index import ProductIndex
from storage.catalog import delete_product, products_by_key, save_products, store_products
from storage.database import Database


@dataclass(frozen=True)
class ImportReport:
    changed: int
    unchanged: int
    embedded: int


class Catalogue:
    """SQL is the truth; the index follows it and is re-synced at start if they drifted."""

    def __init__(self, db: Database, index: ProductIndex, clock: Clock) -> None:
        self._db = db
        self._index = index
        self._clock = clock

    async def save(self, products: Sequence[Product]) -> ImportReport:
        async with self._db.write_sessions() as session, session.begin():
            changed = await save_products(session, products, self._clock.now())
        embedded = await self._index.apply(changed) if changed else 0
        return ImportReport(len(changed), len(products) - len(changed), embedded)

    async def remove(self, store_id: str, product_id: str) -> bool:
        async with self._db.write_sessions() as session, session.begin():
            removed = await delete_product(session, store_id, product_id)
        await self._index.apply([], [(store_id, product_id)])
        return removed

    async def sync_index(self) -> int:
        async with self._db.read_sessions() as session:
            products = await store_products(session)
        return await self._index.sync(products)


class CatalogSearch:
    """The `ProductSearch` port: index hits, with current stock and prices read from SQL."""

    def __init__(self, db: Database, index: ProductIndex) -> None:
        self._db = db
        self._index = index

    async def search(
        self, store_ids: Sequence[str], text: str, limit: int = 10
    ) -> list[ProductHit]:
        hits = await self._index.search(store_ids, text, limit)
        async with self._db.read_sessions() as session:
            products = await products_by_key(session, [(h.store_id, h.product_id) for h in hits])
        allowed = set(store_ids)
        return [
            ProductHit(products[key], hit.score)
            for hit in hits
            if (key := (hit.store_id, hit.product_id)) in products and hit.store_id in allowed
        ]
