"""Shopify webhooks teach Storedesk orders, fulfilments and refunds; lookups answer from them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from connectors.shopify.webhooks import sign
from main import RunningApp
from storage.orm import shop_orders
from tests.support.console_client import ConsoleClient
from tests.support.custom_app import start_custom_app, store_of
from tests.support.fake_shopify import TOKEN, FakeShopify, shopify_order
from tests.support.webhook_client import post_webhook, webhook_body

SECRET = "test-shopify-app-secret"


@pytest.fixture
async def shopify() -> AsyncIterator[FakeShopify]:
    server = FakeShopify(fail_with=503)  # the Admin API is down: webhooks must carry us
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def shop_app(
    tmp_path, database_url, embedder, shopify, monkeypatch
) -> AsyncIterator[RunningApp]:
    monkeypatch.setenv("TEST_SHOPIFY_TOKEN", TOKEN)

    def with_shopify(config: dict[str, Any]) -> None:
        store_of(config)["lookup"] = {
            "kind": "shopify",
            "base_url": shopify.url,
            "token_env": "TEST_SHOPIFY_TOKEN",
            "webhook_secret": SECRET,
        }

    app = await start_custom_app(tmp_path, database_url, embedder, with_shopify)
    yield app
    await app.stop()


async def deliver(
    http: aiohttp.ClientSession,
    app: RunningApp,
    topic: str,
    payload: Any,
    event_id: str,
    *,
    body: bytes | None = None,
    hmac_header: str | None = None,
    store: str = "northwind",
) -> tuple[int, Any]:
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-SHA256": sign(SECRET, raw) if hmac_header is None else hmac_header,
        "X-Shopify-Shop-Domain": "northwind.myshopify.com",
        "X-Shopify-Event-Id": event_id,
    }
    if event_id:
        headers["X-Shopify-Webhook-Id"] = f"w-{event_id}"
    async with http.post(
        f"{app.base_url}/shopify/webhooks/{store}", data=raw, headers=headers
    ) as r:
        return r.status, await r.json()


async def known_orders(app: RunningApp) -> int:
    async with app.db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(shop_orders)) or 0)


async def test_forged_replayed_and_malformed_events_store_nothing(shop_app, http):
    order = shopify_order(1042, "jo@example.com")
    assert (await deliver(http, shop_app, "orders/create", order, "e-1", hmac_header="AAAA"))[
        0
    ] == 401
    assert (await deliver(http, shop_app, "orders/create", order, "e-1", hmac_header=""))[0] == 401
    forged = sign("another-secret", json.dumps(order).encode())
    assert (await deliver(http, shop_app, "orders/create", order, "e-1", hmac_header=forged))[
        0
    ] == 401
    assert (await deliver(http, shop_app, "orders/create", None, "e-2", body=b"{oops"))[0] == 400
    assert (await deliver(http, shop_app, "fulfillments/create", {"id": 1}, "e-3"))[0] == 400
    assert (await deliver(http, shop_app, "orders/create", order, ""))[0] == 400
    assert (await deliver(http, shop_app, "orders/create", order, "e-1", store="nope"))[0] == 404
    # Product topics now feed the catalogue (tests/e2e/test_sales_webhooks.py).
    assert await deliver(http, shop_app, "customers/create", {"id": 5}, "e-4") == (
        200,
        {"status": "ignored", "topic": "customers/create"},
    )
    assert await known_orders(shop_app) == 0

    assert (await deliver(http, shop_app, "orders/create", order, "e-1"))[1] == {"status": "stored"}
    changed = {**order, "email": "changed@example.com"}
    # A replay of the same event id is acknowledged and changes nothing, whatever it carries.
    assert (await deliver(http, shop_app, "orders/create", changed, "e-1"))[1] == {
        "status": "duplicate"
    }
    assert await known_orders(shop_app) == 1
    async with shop_app.db.read_sessions() as session:
        assert await session.scalar(select(shop_orders.c.email)) == "jo@example.com"


async def test_learned_order_fulfilment_and_refund_answer_the_customer_question(
    shop_app, http, shopify
):
    order = shopify_order(1042, "jo@example.com")
    await deliver(http, shop_app, "orders/create", order, "e-10")
    fulfillment = {
        "id": 255858046,
        "order_id": order["id"],
        "status": "success",
        "created_at": "2026-11-21T08:00:00-05:00",
        "tracking_company": "DHL Express",
        "tracking_number": "JD0146000062",
        "tracking_url": "https://dhl.example/JD0146000062",
        "shipment_status": "out_for_delivery",
    }
    await deliver(http, shop_app, "fulfillments/create", fulfillment, "e-11")
    refund = {
        "id": 509562969,
        "order_id": order["id"],
        "transactions": [{"amount": "5.00", "kind": "refund", "status": "success"}],
    }
    await deliver(http, shop_app, "refunds/create", refund, "e-12")
    await deliver(http, shop_app, "refunds/create", {**refund, "id": 2}, "e-13")
    await deliver(http, shop_app, "refunds/create", refund, "e-12")  # replay: not added twice
    # An order update listing a refund already learned from its own event: counted once.
    listed = {**order, "refunds": [refund], "fulfillments": [fulfillment]}
    await deliver(http, shop_app, "orders/updated", listed, "e-14")

    await post_webhook(http, shop_app.base_url, webhook_body("m-1", "Where is order #1042?"))
    async with ConsoleClient(shop_app, "ana") as agent:
        listing = (await agent.get("/api/stores/northwind/conversations"))[1]
        detail = await agent.wait_for_draft(listing["conversations"][0]["id"])
    assert (
        "order #1042: out for delivery 2026-11-21 via DHL Express, tracking JD0146000062, "
        "https://dhl.example/JD0146000062, refunded 10.00 EUR"
    ) in detail["draft"]["note"]
    looked_up = next(e for e in detail["events"] if e["kind"] == "looked_up")
    assert looked_up["payload"]["source"] == "shopify-webhooks"
    assert any(path.endswith("/orders.json") for _m, path, _q in shopify.requests)
