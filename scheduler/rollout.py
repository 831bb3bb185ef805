"""Building the rollout review from the database, for the CLI and the console alike."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.services.rollout import RolloutItem, RolloutReview, rollout_review
from knowledge.embeddings import Embedder
from storage.database import Database
from storage.metrics_queries import message_texts, triaged_events


async def build_rollout_review(
    db: Database, embedder: Embedder, store_id: str, now: datetime, days: int
) -> RolloutReview:
    async with db.read_sessions() as session:
        triaged = await triaged_events(session, store_id, now - timedelta(days=days))
        ids = [str(r.payload.get("message_id")) for r in triaged if r.payload.get("message_id")]
        texts = await message_texts(session, ids)
    known = [m for m in dict.fromkeys(ids) if texts.get(m, "").strip()]
    vectors = await asyncio.to_thread(embedder.embed, [texts[m] for m in known]) if known else []
    return rollout_review(store_id, triaged, texts, dict(zip(known, vectors, strict=True)))


def item_dict(item: RolloutItem) -> dict[str, object]:
    return {
        "count": item.count,
        "example": item.example,
        "intents": list(item.intents),
        "reasons": list(item.reasons),
    }


def review_dict(review: RolloutReview) -> dict[str, object]:
    return {
        "store_id": review.store_id,
        "questions": review.questions,
        "frequent": [item_dict(i) for i in review.frequent],
        "high_risk": [item_dict(i) for i in review.high_risk],
    }
