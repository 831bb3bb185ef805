"""`storedesk knowledge import|export`: knowledge files in and out of the database and index."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from knowledge.articles import ArticleRecord
from knowledge.embeddings import LocalEmbedder
from knowledge.formats import (
    FORMATS,
    Defaults,
    Problem,
    ReadResult,
    read_files,
    source_files,
    write_csv,
    write_json,
    write_markdown,
)
from knowledge.import_progress import ImportProgress
from knowledge.index import KnowledgeIndex
from knowledge.service import KnowledgeBase, store_ids
from storage import knowledge as rows
from storage import migrate
from storage.database import open_database
from storage.directory import sync_directory

INDEX_DIR = "knowledge.lance"


def add_parser(subparsers: Any) -> None:
    knowledge = subparsers.add_parser("knowledge", help="import and export knowledge articles")
    commands = knowledge.add_subparsers(dest="knowledge_command", required=True)
    imported = commands.add_parser(
        "import", help="import Markdown folders (front matter), CSV (question,answer,...) or JSON"
    )
    imported.add_argument("path", type=Path)
    for name in ("store", "brand", "region", "language", "campaign"):
        imported.add_argument(f"--{name}", help=f"{name} scope for entries that name none")
    imported.add_argument("--author", default="", help="recorded as the author of new versions")
    exported = commands.add_parser("export", help="write active articles as md, csv or json")
    exported.add_argument("path", type=Path, help="a folder for md, a file for csv and json")
    exported.add_argument("--format", choices=FORMATS, default=None)
    exported.add_argument("--store", help="only articles scoped to this store")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ai.wiring import build_index_embedder
    from main import directory_from  # the composition root owns config → domain translation

    db = open_database(settings.database_url)
    try:
        await migrate.upgrade(db)
        async with db.write_sessions() as session, session.begin():
            await sync_directory(session, directory_from(settings))
        if args.knowledge_command == "export":
            return await _export(args, db)
        embedder = build_index_embedder(settings, LocalEmbedder())
        index = KnowledgeIndex(Path(settings.storage.data_dir) / INDEX_DIR, embedder)
        return await _import(args, KnowledgeBase(db, index, SystemClock()), await store_ids(db))
    finally:
        await db.dispose()


async def _import(args: argparse.Namespace, kb: KnowledgeBase, known_stores: set[str]) -> int:
    read = await asyncio.to_thread(_read, args)
    if read is None:
        print(f"{args.path}: no such file or folder", file=sys.stderr)
        return 2
    files, result = read
    accepted: list[ArticleRecord] = []
    for article in result.articles:
        if article.store_id is not None and article.store_id not in known_stores:
            file, line = result.origins[article.id]
            result.problems.append(Problem(file, line, f"unknown store {article.store_id!r}"))
        else:
            accepted.append(article)
    for problem in result.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"saving {len(accepted)} articles…", file=sys.stderr, flush=True)
    progress = ImportProgress(sys.stderr)
    report = await kb.import_articles(
        accepted, actor=args.author or "storedesk:import", progress=progress.indexing
    )
    progress.end()
    print(
        f"{len(files)} files: {len(report.created)} new versions, {report.unchanged} unchanged, "
        f"{len(result.problems)} skipped, {report.embedded} chunks embedded"
    )
    return 1 if result.problems else 0


def _read(args: argparse.Namespace) -> tuple[list[Path], ReadResult] | None:
    path: Path = args.path
    if not path.exists():
        return None
    defaults = Defaults(
        store=args.store,
        brand=args.brand,
        region=args.region,
        language=args.language,
        campaign=args.campaign,
        author=args.author,
    )
    files = source_files(path)
    root = path if path.is_dir() else path.parent
    progress = ImportProgress(sys.stderr)
    result = read_files(files, root, defaults, progress=progress.reading)
    progress.end()
    return files, result


async def _export(args: argparse.Namespace, db: Any) -> int:
    async with db.read_sessions() as session:
        articles = await rows.active_articles(session)
    if args.store:
        articles = [a for a in articles if a.store_id == args.store]
    path: Path = args.path
    kind = args.format or (path.suffix.lstrip(".").lower() if path.suffix else "md")
    if kind not in FORMATS:
        print(f"{path}: say --format md, csv or json", file=sys.stderr)
        return 2
    try:
        await asyncio.to_thread(_write, kind, articles, path)
    except (ValueError, OSError) as problem:
        print(f"export failed: {problem}", file=sys.stderr)
        return 1
    print(f"exported {len(articles)} articles to {path} ({kind})")
    return 0


def _write(kind: str, articles: list[ArticleRecord], path: Path) -> None:
    if kind == "md":
        path.mkdir(parents=True, exist_ok=True)
        write_markdown(articles, path)
    elif kind == "csv":
        write_csv(articles, path)
    else:
        write_json(articles, path)
