"""`storedesk evidence export`: conversations as JSON evidence plus a CSV summary.

Run by an operator with database access; `--member` narrows the export to what that
member may see (a client gets only their own stores), so the same command serves a
client's request for the record without a hand-made filter.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import Settings
from storage.database import open_database
from storage.evidence import SUMMARY_COLUMNS, conversation_evidence, conversation_ids, summary_row
from storage.repository import load_member


def add_parser(sub: Any) -> None:
    evidence = sub.add_parser("evidence", help="export the record of conversations")
    actions = evidence.add_subparsers(dest="evidence_command", required=True)
    export = actions.add_parser(
        "export", help="JSON of every step (with chain hashes) and a CSV summary"
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--conversation", help="one conversation id")
    which.add_argument("--store", help="every conversation of this store")
    export.add_argument("--since", type=_date, help="with --store: active on or after DATE")
    export.add_argument("--member", help="only what this member may see")
    export.add_argument("--out", type=Path, default=Path("evidence"), help="output directory")


def _date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fail(message: str) -> int:
    print(f"evidence export: {message}", file=sys.stderr)
    return 2


async def run(args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings.database_url)
    try:
        async with db.read_sessions() as session:
            allowed: set[str] | None = None
            if args.member:
                member = await load_member(session, args.member)
                if member is None:
                    return _fail(f"unknown member {args.member!r}")
                allowed = set(member.visible_stores())
            if args.conversation:
                ids = [args.conversation]
            else:
                if allowed is not None and args.store not in allowed:
                    return _fail(f"{args.member} may not see store {args.store!r}")
                ids = await conversation_ids(session, [args.store], args.since)
            documents = []
            for number, conversation_id in enumerate(ids, 1):
                evidence = await conversation_evidence(session, conversation_id)
                if evidence is None:
                    return _fail(f"no conversation {conversation_id!r}")
                if allowed is not None and evidence["conversation"]["store_id"] not in allowed:
                    return _fail(f"{args.member} may not see conversation {conversation_id!r}")
                documents.append(evidence)
                if number % 100 == 0:
                    print(f"… {number}/{len(ids)} conversations", file=sys.stderr, flush=True)
    finally:
        await db.dispose()
    _write(args.out, documents)
    broken = sum(1 for d in documents if not d["chain_ok"])
    print(f"{len(documents)} conversations written to {args.out}/ (evidence.json, summary.csv)")
    if broken:
        print(f"WARNING: {broken} conversations have events that fail their hash", file=sys.stderr)
        return 1
    return 0


def _write(out: Path, documents: list[dict[str, Any]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    exported = {
        "exported_at": datetime.now(UTC).isoformat(),
        "conversations": documents,
    }
    (out / "evidence.json").write_text(json.dumps(exported, ensure_ascii=False, indent=2))
    with (out / "summary.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows(summary_row(d) for d in documents)
