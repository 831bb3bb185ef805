"""Config for sales assist: which sister stores a store may recommend from, attribution.

A store may only recommend from stores of its own client; the check here makes a wrong
config fail at start, and the recommender enforces the same wall again at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSalesConfig(_Strict):
    recommend_from: list[str] = Field(
        default_factory=list,
        description="sister stores (same client) whose products may be offered",
    )
    max_items: Annotated[int, Field(ge=0, le=3)] = 3
    currency: Annotated[str, Field(pattern=r"^([A-Z]{3})?$")] = Field(
        default="", description="currency of prices learned from Shopify product webhooks"
    )


class SalesConfig(_Strict):
    attribution_window_hours: Annotated[float, Field(gt=0, le=24 * 90)] = 72.0
    tracking_param: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")] = "sd_ref"
    min_score: Annotated[float, Field(ge=0, le=1)] = 0.2


class _SalesStore(Protocol):
    id: str
    client: str | None
    sales: StoreSalesConfig | None


def check_recommend_from(stores: Sequence[_SalesStore]) -> None:
    """Raise naming both stores when a store would recommend from outside its client."""
    by_id = {s.id: s for s in stores}
    for store in stores:
        for sister_id in store.sales.recommend_from if store.sales else ():
            sister = by_id.get(sister_id)
            if sister is None:
                raise ValueError(
                    f"store {store.id}: sales.recommend_from names unknown store {sister_id!r}"
                )
            if sister_id == store.id:
                raise ValueError(f"store {store.id}: sales.recommend_from names the store itself")
            if store.client is None or sister.client != store.client:
                raise ValueError(
                    f"store {store.id}: sales.recommend_from {sister_id!r}: stores {store.id} "
                    f"(client {store.client!r}) and {sister_id} (client {sister.client!r}) "
                    "must belong to the same client"
                )
