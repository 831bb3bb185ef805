"""Build a digest report for some stores and a period, from the database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from bot.services.digest_report import DigestReport
from bot.services.metrics import (
    Dimension,
    StoreInfo,
    breakdown,
    derive_facts,
    in_period,
    question_ids,
    summarize,
)
from bot.services.periods import Period, period_of
from bot.services.question_clusters import QuestionCluster, cluster_questions
from knowledge.embeddings import Embedder
from storage.database import Database
from storage.metrics_queries import audit_records, message_texts, store_infos
from storage.sales import sales_funnels

TREND_DAYS = 7
TOP_CLUSTERS = 5


async def scope_stores(
    db: Database, store_ids: Sequence[str], client_id: str | None
) -> list[StoreInfo]:
    """The stores a subscription covers: those named, or every store of the client."""
    async with db.read_sessions() as session:
        infos = await store_infos(session)
    if client_id is not None:
        return [info for info in infos.values() if info.client_id == client_id]
    return [infos[store_id] for store_id in store_ids if store_id in infos]


async def build_report(
    db: Database,
    stores: Sequence[StoreInfo],
    title: str,
    period: Period,
    embedder: Embedder | None = None,
) -> DigestReport:
    previous = period.previous()
    last_day = period.days()[-1]
    trend_days = [last_day - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    earliest = min(previous.start, period_of(trend_days[0], "day", period.timezone).start)
    store_ids = [s.id for s in stores]
    async with db.read_sessions() as session:
        records = await audit_records(session, store_ids, earliest, period.end)
        facts = derive_facts(records, {s.id: s for s in stores})
        current = in_period(facts, period.start, period.end)
        asked, unanswered = question_ids(current)
        texts = await message_texts(session, asked + unanswered)
    by_day = breakdown(in_period(facts, earliest, period.end), Dimension.DAY)
    trend = [
        (day.isoformat(), by_day[day.isoformat()].first_response.median)
        if day.isoformat() in by_day
        else (day.isoformat(), None)
        for day in trend_days
    ]
    hot: list[QuestionCluster] = []
    gaps: list[QuestionCluster] = []
    if embedder is not None:
        hot = await _clusters(embedder, asked, texts, min_count=2)
        gaps = await _clusters(embedder, unanswered, texts, min_count=1)
    return DigestReport(
        title=title,
        period=period,
        stores=list(stores),
        current=summarize(current),
        previous=summarize(in_period(facts, previous.start, previous.end)),
        by_store=breakdown(current, Dimension.STORE),
        trend=trend,
        hot_questions=hot,
        knowledge_gaps=gaps,
        sales=await sales_funnels(db, store_ids, period.start, period.end),
    )


async def _clusters(
    embedder: Embedder, message_ids: list[str], texts: dict[str, str], *, min_count: int
) -> list[QuestionCluster]:
    known = [m for m in message_ids if texts.get(m, "").strip()]
    if not known:
        return []
    questions = [texts[m] for m in known]
    vectors = await asyncio.to_thread(embedder.embed, questions)
    return cluster_questions(known, questions, vectors, limit=TOP_CLUSTERS, min_count=min_count)
