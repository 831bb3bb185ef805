"""Sales assist assembled from config: catalogue, recommender, attribution, webhook hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.domain.attribution import OrderPlaced
from bot.ports import Clock, UnitOfWork
from bot.services.attribution import Attributor
from bot.services.recommendations import Recommender, SalesPolicy
from connectors.shopify.sales import ShopifySalesEvents
from knowledge.catalog.index import ProductIndex
from knowledge.catalog.service import CatalogSearch, Catalogue
from knowledge.embeddings import Embedder
from storage.database import Database
from storage.sales import SqlSalesLedger

INDEX_DIR = "catalog.lance"


def sales_policy(settings: Settings) -> SalesPolicy:
    return SalesPolicy(
        sisters={s.id: tuple(s.sales.recommend_from) for s in settings.stores if s.sales},
        max_items={s.id: s.sales.max_items for s in settings.stores if s.sales},
        tracking_param=settings.sales.tracking_param,
        min_score=settings.sales.min_score,
    )


def product_index(settings: Settings, embedder: Embedder) -> ProductIndex:
    return ProductIndex(Path(settings.storage.data_dir) / INDEX_DIR, embedder)


@dataclass
class SalesAssist:
    catalogue: Catalogue
    recommender: Recommender
    attributor: Attributor
    shopify_events: ShopifySalesEvents
    tracking_param: str

    async def on_order(self, order: OrderPlaced) -> str:
        return (await self.attributor.attribute(order)).status


async def build_sales(
    settings: Settings,
    db: Database,
    clock: Clock,
    embedder: Embedder,
    uow_factory: Callable[[], UnitOfWork],
) -> SalesAssist:
    """Also brings the product index in line with the database (after a crash or restore)."""
    index = product_index(settings, embedder)
    catalogue = Catalogue(db, index, clock)
    await catalogue.sync_index()
    policy = sales_policy(settings)
    attributor = Attributor(
        uow_factory,
        SqlSalesLedger(db),
        policy.sisters,
        timedelta(hours=settings.sales.attribution_window_hours),
    )
    currencies = {s.id: s.sales.currency for s in settings.stores if s.sales}
    return SalesAssist(
        catalogue=catalogue,
        recommender=Recommender(CatalogSearch(db, index), policy),
        attributor=attributor,
        shopify_events=ShopifySalesEvents(
            catalogue, attributor, policy.tracking_param, currencies, clock
        ),
        tracking_param=policy.tracking_param,
    )
