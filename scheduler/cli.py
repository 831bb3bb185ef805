"""`storedesk digest`: write one digest (Markdown + PNG charts) to a directory, on demand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.errors import InvalidInput
from bot.services.periods import named_period
from knowledge.embeddings import LocalEmbedder
from scheduler.digests import DigestRunner, run_key
from scheduler.targets import FileDigestTarget
from scheduler.wiring import target_factory
from storage import migrate
from storage.database import open_database
from storage.digest_runs import Subscription


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("digest", help="write a digest (Markdown + charts) to disk")
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument("--store", action="append", help="store id (repeat for several)")
    scope.add_argument("--client", help="every store of this client")
    parser.add_argument(
        "--period",
        default="yesterday",
        help="yesterday (default), today, last-week, this-week or YYYY-MM-DD",
    )
    parser.add_argument("--timezone", help="where the period's days begin (default: the store's)")
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    parser.add_argument(
        "--no-clusters", action="store_true", help="skip hot questions and knowledge gaps"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    stores = args.store or []
    for store_id in stores:
        if settings.store(store_id) is None:
            print(f"digest: unknown store {store_id!r}", file=sys.stderr)
            return 2
    if args.client and not any(s.client == args.client for s in settings.stores):
        print(f"digest: no store has client {args.client!r}", file=sys.stderr)
        return 2
    first = settings.store(stores[0]) if stores else None
    timezone = args.timezone or (first.timezone if first else "UTC")
    clock = SystemClock()
    try:
        period = named_period(args.period, clock.now(), timezone)
    except InvalidInput as problem:
        print(f"digest: {problem}", file=sys.stderr)
        return 2
    subscription = Subscription(
        id="on-demand",
        target=f"file:{args.out}",
        store_ids=tuple(stores),
        client_id=args.client,
        cron="0 0 * * *",
        timezone=timezone,
        cadence=period.cadence,
        created_by="cli",
    )
    db = open_database(settings.database_url)
    try:
        await migrate.upgrade(db)
        runner = DigestRunner(
            db,
            clock,
            target_factory(None),
            worker_id="cli",
            embedder=None if args.no_clusters else LocalEmbedder(),
        )
        digest = await runner.compose(subscription, period, run_key("on-demand", period))
    finally:
        await db.dispose()
    target = FileDigestTarget(args.out, per_key_folder=False)
    await target.deliver(digest)
    names = ", ".join(image.filename for image in digest.images)
    print(f"wrote {args.out / 'digest.md'} and {names} ({period.label}, {timezone})")
    return 0
