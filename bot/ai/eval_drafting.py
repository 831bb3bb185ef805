"""Drafting for `storedesk eval`: a throwaway knowledge index and the configured drafter.

Knowledge comes from `--knowledge` (files as `storedesk knowledge import` reads them) and,
with `--store`, the store's FAQ from the config. The index lives in a temporary directory,
so an evaluation never touches the server's data.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.ai.draft_evaluation import DraftRow, draft_rows
from bot.ai.evaluation import LabelledItem
from bot.ai.local_drafter import LocalDrafter
from bot.ai.wiring import build_drafter, faq_of
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.model import Store
from bot.domain.triage import Triage
from bot.ports import Drafter
from knowledge.articles import ArticleRecord
from knowledge.embeddings import Embedder
from knowledge.formats import Defaults, read_files, source_files
from knowledge.index import KnowledgeIndex


class KnowledgeFileError(ValueError):
    """The `--knowledge` files could not be read into articles."""


def read_knowledge(path: Path) -> list[ArticleRecord]:
    if not path.exists():
        raise KnowledgeFileError(f"{path}: no such file or folder")
    result = read_files(source_files(path), path if path.is_dir() else path.parent, Defaults())
    if result.problems:
        raise KnowledgeFileError(str(result.problems[0]))
    return [replace(article, version=1) for article in result.articles]


async def evaluate_drafting(
    args: argparse.Namespace,
    settings: Settings | None,
    store: Store,
    items: Sequence[LabelledItem],
    triages: Sequence[Triage],
    embedder: Embedder,
) -> list[DraftRow]:
    articles = read_knowledge(args.knowledge) if args.knowledge else []
    drafter: Drafter = LocalDrafter()
    if settings is not None and args.store:
        config = next(s for s in settings.stores if s.id == store.id)
        articles += faq_of(config)
        drafter = build_drafter(settings)
    with tempfile.TemporaryDirectory(prefix="storedesk-eval-") as folder:
        index = KnowledgeIndex(Path(folder) / "knowledge.lance", embedder)
        await index.sync(articles)
        return await draft_rows(items, triages, store, index, drafter, SystemClock().now())
