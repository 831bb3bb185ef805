"""`storedesk triage`, `storedesk eval` and `storedesk intents import`: check and tune triage.

These run without the server: they read the config, the store's imported intents from the
database (when there is one) and the local embedding model, and print what triage decides.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.ai.draft_evaluation import render_drafts, score_drafts
from bot.ai.eval_drafting import KnowledgeFileError, evaluate_drafting
from bot.ai.evaluation import EvalRow, read_labelled, render, score
from bot.ai.triage import ExamplesLoader, LocalTriager
from bot.ai.wiring import build_triager, store_from
from bot.clock import SystemClock
from bot.config import ConfigError, Settings, StoreConfig, load_settings
from bot.domain.intents import IntentExample, normalize_label
from bot.domain.model import Store, StoreMode
from bot.domain.risk_policy import decide_route
from bot.domain.triage import Triage
from knowledge.embeddings import LocalEmbedder
from storage import migrate
from storage.database import open_database
from storage.intent_examples import replace_examples

COMMANDS = ("triage", "eval", "intents")
MAX_INTENT_ROWS = 50_000


def add_parser(subparsers: Any) -> None:
    config_help = "TOML config file (may also be given before the command)"
    triage = subparsers.add_parser(
        "triage", help="triage messages from stdin (one per line, or JSONL with `text`)"
    )
    triage.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
    triage.add_argument("--store", required=True)

    evaluate = subparsers.add_parser(
        "eval", help="score triage on a labelled JSONL/CSV set (text, intent, sentiment, risk)"
    )
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
    evaluate.add_argument("--store", help="use this store's intents and risk policy")
    evaluate.add_argument("--intents", type=Path, help="few-shot examples CSV (sentence,label)")
    evaluate.add_argument("--threshold", type=float, help="fixed out-of-scope threshold")
    evaluate.add_argument(
        "--knowledge",
        type=Path,
        help="articles to draft from (folder of Markdown, CSV or JSON, as `knowledge import`)",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")

    intents = subparsers.add_parser("intents", help="a store's few-shot intent examples")
    verbs = intents.add_subparsers(dest="intents_command", required=True)
    do_import = verbs.add_parser("import", help="replace a store's examples from a CSV file")
    do_import.add_argument("file", type=Path)
    do_import.add_argument("--config", default=argparse.SUPPRESS, help=config_help)
    do_import.add_argument("--store", required=True)


def main(args: argparse.Namespace) -> int:
    """Entry from main.py; `eval` may run with no config file at all."""
    settings: Settings | None = None
    try:
        settings = load_settings(args.config)
    except ConfigError as problem:
        if args.command != "eval" or getattr(args, "store", None):
            print(f"config error: {problem}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(run(args, settings))
    except CliError as problem:
        print(f"{args.command}: {problem}", file=sys.stderr)
        return 2


class CliError(Exception):
    """A problem with the command's input, worded for the person who typed it."""


async def run(args: argparse.Namespace, settings: Settings | None) -> int:
    if args.command == "intents":
        assert settings is not None
        return await _import_intents(settings, args.store, args.file)
    if args.command == "triage":
        assert settings is not None
        return await _triage_stdin(settings, args.store, sys.stdin, sys.stdout)
    return await _evaluate(args, settings)


# --- intents import -------------------------------------------------------------------------


def read_intent_csv(path: Path) -> list[IntentExample]:
    """`sentence,label` rows; a header row naming those columns is optional."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as problem:
        raise CliError(f"{path}: cannot be read: {problem.strerror or problem}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path}: not UTF-8 text") from None
    if rows and [c.strip().lower() for c in rows[0][:2]] in (
        ["sentence", "label"],
        ["text", "label"],
    ):
        rows = rows[1:]
    if len(rows) > MAX_INTENT_ROWS:
        raise CliError(f"{path}: {len(rows)} rows, at most {MAX_INTENT_ROWS} are accepted")
    examples = []
    for number, row in enumerate(rows, start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise CliError(f"{path}: row {number}: expected `sentence,label`, got {row!r}")
        examples.append(IntentExample(row[0].strip(), normalize_label(row[1])))
    if not examples:
        raise CliError(f"{path}: no `sentence,label` rows")
    return examples


async def _import_intents(settings: Settings, store_id: str, path: Path) -> int:
    _store_config(settings, store_id)
    examples = read_intent_csv(path)
    db = open_database(settings.database_url)
    try:
        await migrate.upgrade(db)
        async with db.write_sessions() as session, session.begin():
            await replace_examples(session, store_id, examples, SystemClock().now())
    finally:
        await db.dispose()
    labels = sorted({e.label for e in examples})
    print(f"{store_id}: imported {len(examples)} examples for {len(labels)} intents")
    triager = LocalTriager(LocalEmbedder(), load_examples=_fixed(examples))
    calibration = (await triager.classifier(store_id)).calibration
    print(
        f"calibrated out-of-scope threshold {calibration.threshold:.3f} "
        f"(leave-one-out: {calibration.in_scope_accuracy:.0%} of examples recognised, "
        f"{calibration.out_of_scope_rejected:.0%} of {calibration.negatives} negatives rejected)"
    )
    print("restart the server to use them")
    return 0


def _fixed(examples: list[IntentExample]) -> ExamplesLoader:
    async def load(_store_id: str) -> list[IntentExample]:
        return examples

    return load


# --- triage from stdin ----------------------------------------------------------------------


def _store_config(settings: Settings, store_id: str) -> StoreConfig:
    config = settings.store(store_id)
    if config is None:
        known = ", ".join(s.id for s in settings.stores)
        raise CliError(f"no store {store_id!r} in the config (stores: {known})")
    return config


def _messages(stream: IO[str]) -> Iterator[str]:
    for line in stream:
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                yield line
                continue
            yield str(record.get("text", "")) if isinstance(record, dict) else line
        else:
            yield line


def triage_record(triage: Triage, store: Store, text: str) -> dict[str, Any]:
    route = decide_route(store.mode, triage.risk, confident=True)
    return {"text": text, **triage.payload(mask_personal=False), "route": route.value}


async def _triage_stdin(settings: Settings, store_id: str, stdin: IO[str], stdout: IO[str]) -> int:
    config = _store_config(settings, store_id)
    db = open_database(settings.database_url)  # maps the domain classes: build stores after
    store = store_from(config)
    try:
        await migrate.upgrade(db)
        triager = build_triager(settings, LocalEmbedder(), db)
        for text in _messages(stdin):
            triage = await triager.triage(store, text)
            stdout.write(json.dumps(triage_record(triage, store, text), ensure_ascii=False) + "\n")
            stdout.flush()
    finally:
        await db.dispose()
    return 0


# --- eval -----------------------------------------------------------------------------------


async def _evaluate(args: argparse.Namespace, settings: Settings | None) -> int:
    try:
        items = read_labelled(args.file)
    except (OSError, ValueError) as problem:
        raise CliError(f"{args.file}: {problem}") from None
    db = None
    if args.store and settings is not None:
        config = _store_config(settings, args.store)
        db = open_database(settings.database_url)
        store = store_from(config)
        await migrate.upgrade(db)
        triager = build_triager(settings, LocalEmbedder(), None if args.intents else db)
    else:
        store = Store("eval", "eval", "eval", "global", ["en"], "UTC", StoreMode.AUTO)
        triager = LocalTriager(LocalEmbedder(), threshold=args.threshold)
    if args.intents:
        examples = read_intent_csv(args.intents)
        triager = LocalTriager(
            LocalEmbedder(),
            policies={store.id: triager.policy(store.id)},
            load_examples=_fixed(examples),
            threshold=args.threshold,
        )
    try:
        await triager.classifier(store.id)  # build (and calibrate) before timing messages
        rows = []
        triages = []
        for item in items:
            started = time.perf_counter()
            triage = await triager.triage(store, item.text)
            elapsed = time.perf_counter() - started
            triages.append(triage)
            rows.append(
                EvalRow(
                    item=item,
                    intent=triage.intent.label if triage.intent else None,
                    sentiment=triage.sentiment.label.value,
                    risk=triage.risk.level,
                    route_in_auto_mode=decide_route(
                        StoreMode.AUTO, triage.risk, confident=True
                    ).value,
                    seconds=elapsed,
                )
            )
        drafts = None
        if args.knowledge or any(item.expects_draft for item in items):
            try:
                drafted = await evaluate_drafting(
                    args, settings, store, items, triages, LocalEmbedder()
                )
            except KnowledgeFileError as problem:
                raise CliError(str(problem)) from None
            drafts = score_drafts(drafted)
    finally:
        if db is not None:
            await db.dispose()
    report = score(rows)
    threshold = (await triager.classifier(store.id)).threshold
    if args.json:
        extra = {"drafting": drafts.as_dict()} if drafts else {}
        print(json.dumps({**report.as_dict(), "threshold": threshold, **extra}, indent=2))
    else:
        print(render(report))
        print(f"\nout-of-scope threshold: {threshold:.3f}")
        if drafts:
            print("\n" + render_drafts(drafts))
    return 0
