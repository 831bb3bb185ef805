"""A fake Shopify Admin REST API on 127.0.0.1 answering in its documented shapes.

Shapes follow shopify.dev's REST Admin reference (Order, Fulfillment, Refund, Customer):
`GET /admin/api/<version>/orders.json?name=%231042&status=any` → `{"orders": [...]}`,
`GET .../customers/search.json?query=email:<e>` → `{"customers": [...]}`,
`GET .../customers/<id>/orders.json` → `{"orders": [...]}`. It records every request, so
tests can show Storedesk only ever reads.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "shpat_test_token"


def shopify_order(
    number: int,
    email: str,
    *,
    tracking: str | None = None,
    carrier: str = "UPS",
    refunded: str | None = None,
    created_at: str = "2026-11-18T10:00:00-05:00",
) -> dict[str, Any]:
    fulfillments = []
    if tracking:
        fulfillments.append(
            {
                "id": number * 10,
                "order_id": number * 100,
                "status": "success",
                "created_at": "2026-11-20T09:30:00-05:00",
                "tracking_company": carrier,
                "tracking_number": tracking,
                "tracking_numbers": [tracking],
                "tracking_url": f"https://track.example/{tracking}",
                "tracking_urls": [f"https://track.example/{tracking}"],
                "shipment_status": "in_transit",
            }
        )
    refunds = []
    if refunded:
        refunds.append(
            {
                "id": number * 7,
                "order_id": number * 100,
                "created_at": "2026-11-21T12:00:00-05:00",
                "transactions": [
                    {"id": 1, "amount": refunded, "kind": "refund", "status": "success"},
                    {"id": 2, "amount": "99.00", "kind": "refund", "status": "failure"},
                ],
            }
        )
    return {
        "id": number * 100,
        "name": f"#{number}",
        "order_number": number,
        "email": email,
        "created_at": created_at,
        "cancelled_at": None,
        "currency": "EUR",
        "total_price": "59.00",
        "financial_status": "partially_refunded" if refunded else "paid",
        "fulfillment_status": "fulfilled" if tracking else None,
        "customer": {"id": zlib.crc32(email.encode()), "email": email},
        "fulfillments": fulfillments,
        "refunds": refunds,
    }


@dataclass
class FakeShopify:
    orders: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    delay_seconds: float = 0.0
    fail_with: int | None = None
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, dict(request.query)))
        if request.method != "GET":
            return web.json_response({"errors": "Storedesk must never write"}, status=405)
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return web.json_response(
                {"errors": "[API] Invalid API key or access token"}, status=401
            )
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if self.fail_with is not None:
            return web.json_response({"errors": "failure"}, status=self.fail_with)
        parts = request.path.split("/")
        # /admin/api/<version>/<resource...>
        if parts[1:3] != ["admin", "api"] or len(parts) < 5:
            return web.json_response({"errors": "Not Found"}, status=404)
        resource = "/".join(parts[4:])
        if resource == "orders.json":
            name = request.query.get("name", "")
            assert request.query.get("status") == "any", "closed orders must be included"
            return web.json_response({"orders": [o for o in self.orders if o["name"] == name]})
        if resource == "customers/search.json":
            email = request.query.get("query", "").removeprefix("email:").lower()
            customers = {
                o["customer"]["id"]: o["customer"] for o in self.orders if o["email"] == email
            }
            return web.json_response({"customers": list(customers.values())})
        if resource.startswith("customers/") and resource.endswith("/orders.json"):
            customer_id = int(resource.split("/")[1])
            return web.json_response(
                {"orders": [o for o in self.orders if o["customer"]["id"] == customer_id]}
            )
        return web.json_response({"errors": "Not Found"}, status=404)
