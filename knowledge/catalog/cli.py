"""`storedesk catalog import|export`: a store's products in and out of the database and index."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from knowledge.catalog.formats import read_catalog, write_catalog
from knowledge.catalog.service import Catalogue
from knowledge.catalog.wiring import product_index
from knowledge.embeddings import LocalEmbedder
from storage import migrate
from storage.catalog import store_products
from storage.database import open_database
from storage.directory import sync_directory

BATCH = 200  # products saved and embedded per step, so progress moves on long imports


def add_parser(subparsers: Any) -> None:
    catalog = subparsers.add_parser("catalog", help="import and export product catalogues")
    commands = catalog.add_subparsers(dest="catalog_command", required=True)
    imported = commands.add_parser(
        "import", help="import CSV (one row per variant, grouped by product_id) or JSON"
    )
    imported.add_argument("path", type=Path)
    imported.add_argument("--store", required=True, help="the store these products belong to")
    imported.add_argument("--currency", default="", help="for rows that name no currency")
    exported = commands.add_parser("export", help="write products as CSV or JSON (by suffix)")
    exported.add_argument("path", type=Path)
    exported.add_argument("--store", help="only this store's products")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from main import directory_from  # the composition root owns config → domain translation

    if args.store and settings.store(args.store) is None:
        print(f"unknown store {args.store!r} (not in the config's [[stores]])", file=sys.stderr)
        return 2
    db = open_database(settings.database_url)
    try:
        await migrate.upgrade(db)
        async with db.write_sessions() as session, session.begin():
            await sync_directory(session, directory_from(settings))
        if args.catalog_command == "export":
            async with db.read_sessions() as session:
                products = await store_products(session, args.store)
            await asyncio.to_thread(write_catalog, products, args.path)
            print(f"exported {len(products)} products to {args.path}")
            return 0
        catalogue = Catalogue(db, product_index(settings, LocalEmbedder()), SystemClock())
        return await _import(args, catalogue)
    finally:
        await db.dispose()


async def _import(args: argparse.Namespace, catalogue: Catalogue) -> int:
    path: Path = args.path
    if not await asyncio.to_thread(path.is_file):
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    read = await asyncio.to_thread(
        read_catalog, path, args.store, lambda d, t: _bar("reading", d, t, "lines"), args.currency
    )
    print(file=sys.stderr)
    for problem in read.problems:
        print(f"skipped {problem}", file=sys.stderr)
    changed = unchanged = 0
    total = len(read.products)
    for start in range(0, total, BATCH):
        report = await catalogue.save(read.products[start : start + BATCH])
        changed, unchanged = changed + report.changed, unchanged + report.unchanged
        _bar("indexing", min(start + BATCH, total), total, "products")
    if total:
        print(file=sys.stderr)
    print(
        f"{total} products: {changed} new or changed, {unchanged} unchanged, "
        f"{len(read.problems)} rows skipped"
    )
    return 1 if read.problems else 0


def _bar(what: str, done: int, total: int, unit: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    print(
        f"\r{what:9} [{'#' * filled}{'-' * (width - filled)}] {done}/{total} {unit}",
        end="",
        file=sys.stderr,
        flush=True,
    )
