"""Orders from the Shopify Admin REST API, by order number or customer email; GET only."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.ports import LookupResult
from connectors.lookups.results import failed, found, not_found
from connectors.shopify.orders import order_fields

SOURCE = "shopify"


class ShopifyAdminLookup:
    """Read-only by construction: the only request this class can make is a GET."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        access_token: str,
        api_version: str = "2024-10",
        timeout: float = 5.0,
    ) -> None:
        self._session = session
        self._api = f"{base_url.rstrip('/')}/admin/api/{api_version}"
        self._headers = {"X-Shopify-Access-Token": access_token, "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult:
        query = order_number or email or ""
        try:
            if order_number:
                number = order_number.strip().lstrip("#")
                body = await self._get("orders.json", {"name": f"#{number}", "status": "any"})
                orders = body.get("orders") or []
            elif email:
                orders = await self._orders_of_customer(email)
            else:
                return failed(query, SOURCE, "nothing to look up")
        except _ShopifyError as problem:
            return failed(query, SOURCE, str(problem))
        if not orders:
            return not_found(query, SOURCE)
        newest = max(orders, key=lambda o: str(o.get("created_at", "")))
        return found(query, SOURCE, order_fields(newest))

    async def _orders_of_customer(self, email: str) -> list[dict[str, Any]]:
        customers = (await self._get("customers/search.json", {"query": f"email:{email}"})).get(
            "customers"
        ) or []
        if not customers:
            return []
        customer_id = customers[0]["id"]
        body = await self._get(
            f"customers/{customer_id}/orders.json", {"status": "any", "limit": "5"}
        )
        return body.get("orders") or []

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self._api}/{path}?{urlencode(params)}"
        try:
            async with self._session.get(
                url, headers=self._headers, timeout=self._timeout
            ) as response:
                text = await response.text()
                if response.status in (401, 403):
                    raise _ShopifyError(f"Shopify refused the access token ({response.status})")
                if response.status == 429:
                    raise _ShopifyError("Shopify rate limit reached (429)")
                if response.status >= 300:
                    raise _ShopifyError(f"Shopify answered {response.status}")
                body = json.loads(text)
        except aiohttp.ClientError as problem:
            raise _ShopifyError(f"Shopify unreachable: {type(problem).__name__}") from None
        except TimeoutError:
            raise _ShopifyError("Shopify timed out") from None
        except ValueError:
            raise _ShopifyError("Shopify answered with malformed JSON") from None
        if not isinstance(body, dict):
            raise _ShopifyError("Shopify answered with an unexpected shape")
        return body


class _ShopifyError(Exception):
    pass
