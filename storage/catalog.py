"""Catalogue products in SQL: the source of truth the product index is rebuilt from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.catalog import Product, product_dict, product_from_dict
from storage.orm import catalog_products

T = catalog_products
_BATCH = 500


async def save_products(
    session: AsyncSession, products: Sequence[Product], now: datetime
) -> list[Product]:
    """Insert or update each product; returns those whose content changed (the rest are
    untouched, so importing the same file twice writes nothing)."""
    held: dict[tuple[str, str], str] = {}
    for start in range(0, len(products), _BATCH):
        batch = products[start : start + _BATCH]
        keys = or_(*(and_(T.c.store_id == p.store_id, T.c.product_id == p.id) for p in batch))
        rows = await session.execute(
            select(T.c.store_id, T.c.product_id, T.c.content_hash).where(keys)
        )
        held.update({(r.store_id, r.product_id): r.content_hash for r in rows})
    changed: list[Product] = []
    for product in products:
        digest = product.content_hash()
        key = (product.store_id, product.id)
        if held.get(key) == digest:
            continue
        values = {
            "title": product.title,
            "data": product_dict(product),
            "content_hash": digest,
            "updated_at": now,
        }
        if key in held:
            await session.execute(
                update(T)
                .where(T.c.store_id == product.store_id, T.c.product_id == product.id)
                .values(**values)
            )
        else:
            await session.execute(
                T.insert().values(store_id=product.store_id, product_id=product.id, **values)
            )
        held[key] = digest
        changed.append(product)
    return changed


async def delete_product(session: AsyncSession, store_id: str, product_id: str) -> bool:
    result = await session.execute(
        delete(T).where(T.c.store_id == store_id, T.c.product_id == product_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def store_products(session: AsyncSession, store_id: str | None = None) -> list[Product]:
    query = select(T.c.data).order_by(T.c.store_id, T.c.product_id)
    if store_id is not None:
        query = query.where(T.c.store_id == store_id)
    return [product_from_dict(data) for data in (await session.scalars(query)).all()]


async def products_by_key(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Product]:
    wanted = list(dict.fromkeys(keys))
    found: dict[tuple[str, str], Product] = {}
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        keys = or_(*(and_(T.c.store_id == s, T.c.product_id == p) for s, p in batch))
        for data in (await session.scalars(select(T.c.data).where(keys))).all():
            product = product_from_dict(data)
            found[(product.store_id, product.id)] = product
    return found
