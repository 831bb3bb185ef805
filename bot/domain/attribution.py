"""Orders and the conversations they are attributed to: values and the matching rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.catalog import RecommendationRecord

_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True)
class OrderPlaced:
    """An order a shop reported (Shopify webhook or the signed webhook's order event)."""

    store_id: str
    order_id: str
    placed_at: datetime
    amount: str = "0"
    currency: str = ""
    email: str = ""
    phone: str = ""
    tags: tuple[str, ...] = ()  # tracking tags found in the order's landing URL or notes

    def contacts(self) -> list[str]:
        """How the customer may be known to a channel: email, and phone in common shapes."""
        found = [self.email.strip().lower()] if self.email.strip() else []
        digits = _NOT_DIGIT.sub("", self.phone)
        if len(digits) >= 7:
            found += [digits, f"+{digits}"]
        return found


@dataclass(eq=False)
class OrderAttribution:
    """One order credited to one conversation; at most one per (store, order id)."""

    store_id: str  # where the order was placed
    order_id: str
    conversation_id: str
    conversation_store_id: str
    agent_id: str | None
    tag: str | None
    matched_by: str  # "tag" or "customer"
    amount: str
    currency: str
    ordered_at: datetime


def pick_recommendation(
    order: OrderPlaced,
    by_tag: Sequence[RecommendationRecord],
    by_customer: Sequence[RecommendationRecord],
    window: timedelta,
) -> tuple[RecommendationRecord, str] | None:
    """A tag the order carries wins over a customer match; within each, the latest
    recommendation made inside the window before the order."""

    def inside(record: RecommendationRecord) -> bool:
        return order.placed_at - window <= record.created_at <= order.placed_at

    for records, how in ((by_tag, "tag"), (by_customer, "customer")):
        fitting = [r for r in records if inside(r)]
        if fitting:
            return max(fitting, key=lambda r: r.created_at), how
    return None
