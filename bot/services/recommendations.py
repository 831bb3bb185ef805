"""Which in-stock products a draft proposes for a buying question, from which stores, and why.

The store's own catalogue comes first; sister stores only where the policy names them AND
they belong to the same client as the asking store. The client check runs here, on the
stores as stored, on every call: a config mistake or a stale policy can never put another
client's product in front of a customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.catalog import ProductHit, Recommendation, RecommendationSet
from bot.domain.model import Store, new_id
from bot.domain.shopping import (
    ShoppingNeed,
    fitting_variants,
    reason_for,
    shopping_need,
    tagged_url,
)
from bot.ports import ProductSearch, UnitOfWork

CANDIDATES = 10
TAG_LENGTH = 16


@dataclass(frozen=True)
class SalesPolicy:
    """Per store: the sister stores it may recommend from and how many items at most."""

    sisters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    max_items: Mapping[str, int] = field(default_factory=dict)
    tracking_param: str = "sd_ref"
    min_score: float = 0.2
    default_max_items: int = 3


class Recommender:
    def __init__(self, search: ProductSearch, policy: SalesPolicy) -> None:
        self._search = search
        self._policy = policy

    async def recommend(
        self, uow: UnitOfWork, store: Store, intent: str, text: str
    ) -> RecommendationSet | None:
        """None when the message asks for nothing to buy or the store (and its sisters) have
        no catalogue, so stores without one draft exactly as before; else what was chosen
        and what was seen."""
        need = shopping_need(intent, text)
        if need is None:
            return None
        limit = self._policy.max_items.get(store.id, self._policy.default_max_items)
        if limit <= 0:  # recommendations turned off for this store
            return None
        tag = new_id()[:TAG_LENGTH]
        sisters = await self._sister_stores(uow, store)
        pick = _Picker(need, limit, tag, self._policy)
        own = await self._search.search([store.id], text, CANDIDATES)
        pick.take([h for h in own if h.product.store_id == store.id], sister_names={})
        if not pick.full and sisters:
            found = await self._search.search(list(sisters), text, CANDIDATES)
            pick.take([h for h in found if h.product.store_id in sisters], sister_names=sisters)
        if not pick.considered:
            return None
        return RecommendationSet(
            tag=tag, need=need.kind, items=tuple(pick.items), considered=tuple(pick.considered)
        )

    async def _sister_stores(self, uow: UnitOfWork, store: Store) -> dict[str, str]:
        """Sister store id → name, for those that really share the asking store's client."""
        named = [s for s in self._policy.sisters.get(store.id, ()) if s != store.id]
        if not named or store.client_id is None:
            return {}
        allowed: dict[str, str] = {}
        async with uow.reading() as repo:
            for sister_id in named:
                sister = await repo.get_store(sister_id)
                if sister is not None and sister.client_id == store.client_id:
                    allowed[sister.id] = sister.name
        return allowed


class _Picker:
    """Walks ranked hits, keeping the first in-stock fitting variant of each product."""

    def __init__(self, need: ShoppingNeed, limit: int, tag: str, policy: SalesPolicy) -> None:
        self.need = need
        self.limit = limit
        self.tag = tag
        self.policy = policy
        self.items: list[Recommendation] = []
        self.considered: list[dict[str, Any]] = []
        self.asked: ProductHit | None = None

    @property
    def full(self) -> bool:
        return len(self.items) >= self.limit

    def take(self, hits: Sequence[ProductHit], sister_names: Mapping[str, str]) -> None:
        for hit in hits:
            product = hit.product
            seen: dict[str, Any] = {
                "store_id": product.store_id,
                "product_id": product.id,
                "score": round(hit.score, 4),
            }
            self.considered.append(seen)
            if hit.score < self.policy.min_score:
                seen["skipped"] = "weak match"
                continue
            if self.asked is None and not sister_names:
                self.asked = hit  # the best match in the store is what the buyer asked about
            variants = fitting_variants(product, self.need)
            if not variants:
                seen["skipped"] = "not in stock as asked"
                continue
            if self.full:
                seen["skipped"] = "enough items already"
                continue
            variant = variants[0]
            reason = reason_for(
                product,
                variant,
                self.need,
                asked=self.asked.product if self.asked else None,
                sister_store_name=sister_names.get(product.store_id, ""),
            )
            seen["chosen"] = reason
            self.items.append(
                Recommendation(
                    store_id=product.store_id,
                    product_id=product.id,
                    variant_id=variant.id,
                    title=product.title,
                    variant=variant.label(),
                    price=variant.price,
                    currency=variant.currency,
                    url=tagged_url(product.url, self.policy.tracking_param, self.tag),
                    reason=reason,
                    sister_store=product.store_id in sister_names,
                )
            )


def thread_lines(recommended: RecommendationSet) -> str:
    """For the draft's note: each item and why it was chosen, so the agent can judge."""
    if not recommended.items:
        return f"{recommended.need} question: no matching item in stock"
    return "\n".join(
        f"recommended {item.title}"
        + (f" ({item.variant})" if item.variant else "")
        + f": {item.reason}"
        for item in recommended.items
    )


def evidence(recommended: RecommendationSet) -> dict[str, Any]:
    return {
        "tag": recommended.tag,
        "need": recommended.need,
        "considered": list(recommended.considered),
        "recommended": [
            {
                "store_id": i.store_id,
                "product_id": i.product_id,
                "variant_id": i.variant_id,
                "reason": i.reason,
            }
            for i in recommended.items
        ],
    }
