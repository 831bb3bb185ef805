"""Orders Shopify's webhooks told us about: a lookup that needs no API call at all."""

from __future__ import annotations

from bot.ports import LookupResult
from connectors.lookups.results import found, normalize_order_number, not_found
from connectors.shopify.orders import REFUND_PREFIX
from storage.channel_rows import find_shop_order
from storage.database import Database

SOURCE = "shopify-webhooks"


class KnownOrdersLookup:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult:
        query = order_number or email or ""
        if order_number:
            name = normalize_order_number(order_number)
            fields = await find_shop_order(self._db, store_id, name=name)
        else:
            fields = await find_shop_order(self._db, store_id, email=email or "")
        if not fields:
            return not_found(query, SOURCE)
        variables = {k: v for k, v in fields.items() if not k.startswith(REFUND_PREFIX)}
        return found(query, SOURCE, variables)
