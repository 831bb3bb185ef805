"""Scoring drafting on a labelled set: did the draft cite the right article and say the right
thing, did out-of-scope questions get no draft, and how long did drafting take.

An item with `expected_article` or `answer_contains` must be answered: a hit is a draft that
cites that article (its full id or the id's last segments) and contains every phrase
(case-insensitive). An item labelled `out_of_scope` must get no draft at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.ai.evaluation import LabelledItem, percentile
from bot.domain.intents import OUT_OF_SCOPE
from bot.domain.model import Store
from bot.domain.triage import Triage
from bot.ports import Drafter, DraftRequest, KnowledgeScope, Retriever


@dataclass
class DraftRow:
    item: LabelledItem
    text: str | None  # None: the drafter gave no draft
    cited: Sequence[str]
    seconds: float


@dataclass
class DraftReport:
    answerable: int
    draft_hit_rate: float | None
    citation_hit_rate: float | None
    out_of_scope: int
    no_draft_rate: float | None
    latency_ms: dict[str, float]
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def cites(cited: Sequence[str], expected: str) -> bool:
    """`returns` matches `northwind/faq/returns`: sets need not repeat a store's id prefix."""
    return any(c == expected or c.endswith("/" + expected) for c in cited)


def is_hit(row: DraftRow) -> bool:
    if row.text is None:
        return False
    item = row.item
    if item.expected_article and not cites(row.cited, item.expected_article):
        return False
    lowered = row.text.lower()
    return all(phrase.lower() in lowered for phrase in item.answer_contains)


def score_drafts(rows: Iterable[DraftRow]) -> DraftReport:
    rows = list(rows)
    answerable = [r for r in rows if r.item.expects_draft]
    with_article = [r for r in answerable if r.item.expected_article]
    out_of_scope = [r for r in rows if r.item.intent == OUT_OF_SCOPE and not r.item.expects_draft]
    hits = [r for r in answerable if is_hit(r)]
    latencies = [r.seconds * 1000 for r in rows] or [0.0]
    misses = [
        {"text": r.item.text, "expected": r.item.expected_article, "cited": list(r.cited)}
        for r in answerable
        if not is_hit(r)
    ] + [
        {"text": r.item.text, "expected": "no draft", "cited": list(r.cited)}
        for r in out_of_scope
        if r.text is not None
    ]
    return DraftReport(
        answerable=len(answerable),
        draft_hit_rate=_ratio(len(hits), len(answerable)),
        citation_hit_rate=_ratio(
            sum(
                1
                for r in with_article
                if r.text is not None and cites(r.cited, r.item.expected_article or "")
            ),
            len(with_article),
        ),
        out_of_scope=len(out_of_scope),
        no_draft_rate=_ratio(sum(1 for r in out_of_scope if r.text is None), len(out_of_scope)),
        latency_ms={
            "p50": round(percentile(latencies, 0.5), 2),
            "p95": round(percentile(latencies, 0.95), 2),
            "max": round(max(latencies), 2),
        },
        misses=misses,
    )


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def render_drafts(report: DraftReport, *, show_misses: int = 10) -> str:
    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}%"

    lines = [
        f"drafting: {report.answerable} answerable, {report.out_of_scope} out of scope",
        f"draft hit rate: {pct(report.draft_hit_rate)}   "
        f"cites the expected article: {pct(report.citation_hit_rate)}",
        f"no draft on out-of-scope: {pct(report.no_draft_rate)}",
        "draft latency per message (ms): "
        + "  ".join(f"{k} {v:.1f}" for k, v in report.latency_ms.items()),
    ]
    if report.misses and show_misses:
        lines += [f"first {min(show_misses, len(report.misses))} drafting misses:"]
        lines += [
            f"  {m['expected']} <- {', '.join(m['cited']) or 'no citation'}: {m['text'][:80]}"
            for m in report.misses[:show_misses]
        ]
    return "\n".join(lines)


async def draft_rows(
    items: Sequence[LabelledItem],
    triages: Sequence[Triage],
    store: Store,
    retriever: Retriever,
    drafter: Drafter,
    now: datetime,
) -> list[DraftRow]:
    """Retrieval and drafting of each item as the pipeline does it, timed per message."""
    rows = []
    for item, triage in zip(items, triages, strict=True):
        started = time.perf_counter()
        hits = await retriever.search(
            KnowledgeScope.for_store(store, triage.language, now), item.text
        )
        proposal = await drafter.draft(
            DraftRequest(
                store=store,
                customer_name="",
                text=item.text,
                language=triage.language,
                hits=hits,
                entities=triage.entities,
                intent=triage.intent.label if triage.intent else "",
            )
        )
        rows.append(
            DraftRow(
                item=item,
                text=proposal.text,
                cited=[str(c["article_id"]) for c in proposal.citations],
                seconds=time.perf_counter() - started,
            )
        )
    return rows
