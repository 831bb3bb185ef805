"""Crediting an order to the conversation whose recommendation led to it.

A tracking tag in the order (from a recommended link) names the draft exactly; failing
that, the customer's email or phone finds their recent buying question. Either way only
within the attribution window, only across stores of one client, and once per order id:
a repeated webhook finds the order already credited and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.attribution import OrderAttribution, OrderPlaced, pick_recommendation
from bot.domain.catalog import RecommendationRecord
from bot.ports import SalesLedger, UnitOfWork

SYSTEM_ACTOR = "storedesk"


@dataclass(frozen=True)
class AttributionResult:
    status: str  # "attributed", "duplicate" or "unmatched"
    attribution: OrderAttribution | None = None


class Attributor:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        ledger: SalesLedger,
        sisters: Mapping[str, Sequence[str]],
        window: timedelta,
    ) -> None:
        self._uow_factory = uow_factory
        self._ledger = ledger
        self._sisters = sisters
        self._window = window

    async def attribute(self, order: OrderPlaced) -> AttributionResult:
        if await self._ledger.attributed(order.store_id, order.order_id):
            return AttributionResult("duplicate")
        asking_stores = await self._stores_that_may_sell(order.store_id)
        by_tag = [
            r
            for r in await self._ledger.recommendations_by_tag(order.tags)
            if r.store_id in asking_stores
        ]
        contacts = order.contacts()
        by_customer = (
            await self._ledger.recommendations_for_contacts(
                sorted(asking_stores), contacts, order.placed_at - self._window
            )
            if contacts
            else []
        )
        picked = pick_recommendation(order, by_tag, by_customer, self._window)
        if picked is None:
            return AttributionResult("unmatched")
        record, how = picked
        return await self._credit(order, record, how)

    async def _stores_that_may_sell(self, order_store_id: str) -> set[str]:
        """The order's store and the stores recommending from it, of the same client only."""
        named = {order_store_id} | {
            store_id for store_id, sisters in self._sisters.items() if order_store_id in sisters
        }
        uow = self._uow_factory()
        async with uow.reading() as repo:
            selling = await repo.get_store(order_store_id)
            if selling is None:
                return set()
            allowed = {order_store_id}
            for store_id in named - {order_store_id}:
                store = await repo.get_store(store_id)
                if store and store.client_id and store.client_id == selling.client_id:
                    allowed.add(store_id)
        return allowed

    async def _credit(
        self, order: OrderPlaced, record: RecommendationRecord, how: str
    ) -> AttributionResult:
        agent = await self._ledger.reply_author(record.conversation_id, order.placed_at)
        attribution = OrderAttribution(
            store_id=order.store_id,
            order_id=order.order_id,
            conversation_id=record.conversation_id,
            conversation_store_id=record.store_id,
            agent_id=agent,
            tag=record.tag,
            matched_by=how,
            amount=order.amount,
            currency=order.currency,
            ordered_at=order.placed_at,
        )
        async with self._uow_factory() as uow:
            if await self._ledger.attributed(order.store_id, order.order_id):
                return AttributionResult("duplicate")  # a concurrent delivery was first
            uow.repo.add(attribution)
            await uow.audit(
                "order_attributed",
                actor=SYSTEM_ACTOR,
                store_id=record.store_id,
                conversation_id=record.conversation_id,
                payload={
                    "order_id": order.order_id,
                    "order_store_id": order.store_id,
                    "tag": record.tag,
                    "matched_by": how,
                    "agent_id": agent,
                    "amount": order.amount,
                    "currency": order.currency,
                },
            )
            await uow.commit()
        return AttributionResult("attributed", attribution)
