"""One `workspace.mirror` handler for every team surface: rows name their target
`<kind>:<where>` (e.g. `slack:C123`, `telegram:-100123`) and go to that kind's mirror."""

from __future__ import annotations

from collections.abc import Mapping

from bot.ports import DeliveryError, OutboxItem
from bot.services.outbox_worker import TopicHandler


class MirrorRouter:
    def __init__(self, by_kind: Mapping[str, TopicHandler]) -> None:
        self._by_kind = dict(by_kind)

    def _handler(self, item: OutboxItem) -> TopicHandler:
        kind = str(item.payload.get("target") or item.target).partition(":")[0]
        handler = self._by_kind.get(kind)
        if handler is None:
            raise DeliveryError(f"no workspace mirror for {kind!r}", permanent=True)
        return handler

    async def deliver(self, item: OutboxItem) -> None:
        await self._handler(item).deliver(item)

    async def give_up(self, item: OutboxItem, error: str) -> None:
        try:
            handler = self._handler(item)
        except DeliveryError:
            handler = next(iter(self._by_kind.values()))  # any mirror can mark a row dead
        await handler.give_up(item, error)
