"""A short per-order cache in front of any lookup, so a busy conversation asks once."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.ports import Lookup, LookupResult

MAX_ENTRIES = 2048


class CachedLookup:
    """Keeps answers (found or not) for `ttl` seconds; failures are not kept, so the next
    message tries the back office again."""

    def __init__(
        self, inner: Lookup, ttl: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._inner = inner
        self._ttl = ttl
        self._now = now
        self._entries: dict[tuple[str, str | None, str | None], tuple[float, LookupResult]] = {}

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult:
        key = (store_id, order_number, email.lower() if email else None)
        cached = self._entries.get(key)
        if cached is not None and cached[0] > self._now():
            return cached[1]
        result = await self._inner.find_order(store_id, order_number=order_number, email=email)
        if self._ttl > 0 and not result.error:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self._now() + self._ttl, result)
        return result


class FallbackLookup:
    """Asks `primary`; when it fails (not when it finds nothing) asks `secondary`."""

    def __init__(self, primary: Lookup, secondary: Lookup) -> None:
        self._primary = primary
        self._secondary = secondary

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult:
        first = await self._primary.find_order(store_id, order_number=order_number, email=email)
        if not first.error:
            return first
        second = await self._secondary.find_order(store_id, order_number=order_number, email=email)
        if second.found:
            return second
        return first
