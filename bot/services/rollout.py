"""The rollout review: what a lead should read before a store moves beyond `draft`.

A store earns `assist` or `auto` on its own history: the questions customers ask most
(the drafts that would go out alone most often) and the riskiest ones (the routes a
mistake would hurt most). Both are clusters of real messages, biggest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.services.metrics import AuditRecord
from bot.services.question_clusters import cluster_questions

TOP_FREQUENT = 30
TOP_RISKY = 10
_RISKY_ROUTES = frozenset({"review", "takeover"})


@dataclass(frozen=True)
class RolloutItem:
    count: int
    example: str
    intents: tuple[str, ...]  # most common first
    reasons: tuple[str, ...]  # risk reasons seen in the cluster, most common first


@dataclass(frozen=True)
class RolloutReview:
    store_id: str
    questions: int
    frequent: list[RolloutItem]
    high_risk: list[RolloutItem]


def is_risky(payload: Mapping[str, object]) -> bool:
    reasons = payload.get("risk_reasons")
    return str(payload.get("route") or "") in _RISKY_ROUTES or bool(reasons)


def rollout_review(
    store_id: str,
    triaged: Sequence[AuditRecord],
    texts: Mapping[str, str],
    vectors_of: Mapping[str, np.ndarray],
) -> RolloutReview:
    """Group the store's triaged questions; `vectors_of` maps message id → embedding."""
    by_message = {
        str(r.payload.get("message_id")): r.payload
        for r in triaged
        if str(r.payload.get("message_id")) in vectors_of
        and texts.get(str(r.payload["message_id"]))
    }
    everything = list(by_message)
    risky = [m for m in everything if is_risky(by_message[m])]
    return RolloutReview(
        store_id=store_id,
        questions=len(everything),
        frequent=_items(everything, by_message, texts, vectors_of, TOP_FREQUENT),
        high_risk=_items(risky, by_message, texts, vectors_of, TOP_RISKY),
    )


def _items(
    ids: list[str],
    payloads: Mapping[str, Mapping[str, object]],
    texts: Mapping[str, str],
    vectors_of: Mapping[str, np.ndarray],
    limit: int,
) -> list[RolloutItem]:
    if not ids:
        return []
    vectors = np.stack([vectors_of[m] for m in ids])
    clusters = cluster_questions(ids, [texts[m] for m in ids], vectors, limit=limit)
    items = []
    for cluster in clusters:
        intents: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        for message_id in cluster.message_ids:
            payload = payloads[message_id]
            if payload.get("intent"):
                intents[str(payload["intent"])] += 1
            for reason in payload.get("risk_reasons") or []:  # type: ignore[attr-defined]
                reasons[str(reason)] += 1
        items.append(
            RolloutItem(
                count=cluster.count,
                example=cluster.example,
                intents=tuple(i for i, _ in intents.most_common(3)),
                reasons=tuple(r for r, _ in reasons.most_common(3)),
            )
        )
    return items
