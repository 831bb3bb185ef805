"""`storedesk rollout --store S`: the questions to review before a store leaves `draft`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from knowledge.embeddings import LocalEmbedder
from scheduler.rollout import build_rollout_review, review_dict
from storage.database import open_database


def add_parser(sub: Any) -> None:
    rollout = sub.add_parser(
        "rollout", help="top frequent and high-risk questions to review before assist/auto"
    )
    rollout.add_argument("--store", required=True)
    rollout.add_argument("--days", type=int, default=90, help="history to read (default 90)")
    rollout.add_argument("--json", action="store_true", help="machine-readable output")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.store(args.store) is None:
        print(f"rollout: unknown store {args.store!r}", file=sys.stderr)
        return 2
    if not 1 <= args.days <= 3650:
        print("rollout: --days must be between 1 and 3650", file=sys.stderr)
        return 2
    db = open_database(settings.database_url)
    try:
        print(f"reading {args.days} days of {args.store} history…", file=sys.stderr, flush=True)
        review = await build_rollout_review(
            db, LocalEmbedder(), args.store, SystemClock().now(), args.days
        )
    finally:
        await db.dispose()
    if args.json:
        print(json.dumps(review_dict(review), ensure_ascii=False, indent=2))
        return 0
    print(f"# Rollout review for {args.store}: {review.questions} questions in {args.days} days")
    for title, items in (("Most frequent", review.frequent), ("High risk", review.high_risk)):
        print(f"\n## {title} ({len(items)})")
        if not items:
            print("(none yet)")
        for n, item in enumerate(items, 1):
            tags = ", ".join([*item.intents, *item.reasons]) or "no intent"
            print(f"{n:>2}. ×{item.count}  {item.example}  [{tags}]")
    return 0
