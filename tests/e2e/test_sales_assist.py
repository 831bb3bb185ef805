"""Sales assist end to end over real HTTP: Shopify product webhooks fill the catalogue, a size
question gets in-stock items from the store and its sister store (never another client's),
the approved reply's tagged link turns a Shopify order into an attributed sale, and the
digest funnel counts it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.domain.catalog import ProductHit
from bot.services.recommendations import Recommender, SalesPolicy
from connectors.shopify.webhooks import sign
from knowledge.catalog.service import CatalogSearch
from knowledge.catalog.wiring import product_index
from main import RunningApp
from storage.orm import audit_events, catalog_products, sales_orders
from storage.uow import unit_of_work_factory
from tests.support.console_client import ConsoleClient
from tests.support.custom_app import start_custom_app, store_of
from tests.support.webhook_client import post_webhook, webhook_body

SECRET = "test-shopify-app-secret"
QUESTION = "Do you have the Trail Runner running shoes in size M?"


def _store(store_id: str, name: str, client: str) -> dict[str, Any]:
    return {
        "id": store_id,
        "name": name,
        "brand": name.split()[0],
        "languages": ["en"],
        "client": client,
        "members": {"ana": "agent", "sam": "lead"},
        "lookup": {
            "kind": "shopify",
            "base_url": f"https://{store_id}.myshopify.com",
            "webhook_secret": SECRET,
        },
    }


def with_sister_stores(config: dict[str, Any]) -> None:
    northwind = store_of(config)
    northwind["client"] = "acme"
    northwind["sales"] = {"recommend_from": ["outlet"], "currency": "EUR"}
    northwind["lookup"] = _store("northwind", "Northwind", "acme")["lookup"]
    outlet = _store("outlet", "Northwind Outlet", "acme")
    outlet["sales"] = {"currency": "EUR"}
    config["stores"] += [outlet, _store("rival", "Rival Shoes", "rival-co")]


@pytest.fixture
async def sales_app(tmp_path, database_url, embedder) -> AsyncIterator[RunningApp]:
    app = await start_custom_app(tmp_path, database_url, embedder, with_sister_stores)
    yield app
    await app.stop()


def trail_runner(m_stock: int, *, product_id: int = 7001) -> dict[str, Any]:
    """A Shopify product payload (REST Admin API shape), size first and colour second."""
    return {
        "id": product_id,
        "title": "Trail Runner Running Shoes",
        "body_html": "<p>Grippy outsole for <strong>mountain</strong> paths.</p>",
        "handle": "trail-runner",
        "tags": "shoes, running",
        "options": [{"name": "Size", "position": 1}, {"name": "Color", "position": 2}],
        "variants": [
            {
                "id": 1,
                "sku": "TR-S",
                "price": "89.00",
                "option1": "S",
                "option2": "Black",
                "inventory_quantity": 3,
            },
            {
                "id": 2,
                "sku": "TR-M",
                "price": "89.00",
                "option1": "M",
                "option2": "Black",
                "inventory_quantity": m_stock,
            },
        ],
        "image": {"src": "https://cdn.example/trail.jpg"},
    }


async def deliver(
    http: aiohttp.ClientSession, app: RunningApp, store: str, topic: str, payload: Any, event: str
) -> tuple[int, Any]:
    raw = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-SHA256": sign(SECRET, raw),
        "X-Shopify-Shop-Domain": f"{store}.example",
        "X-Shopify-Event-Id": event,
    }
    async with http.post(
        f"{app.base_url}/shopify/webhooks/{store}", data=raw, headers=headers
    ) as r:
        return r.status, await r.json()


async def _count(app: RunningApp, table: Any, *where: Any) -> int:
    async with app.db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def test_products_recommendations_and_an_attributed_order(sales_app, http) -> None:
    app = sales_app
    # Signed product webhooks fill each store's catalogue; forged ones change nothing.
    forged = json.dumps(trail_runner(0)).encode()
    async with http.post(
        f"{app.base_url}/shopify/webhooks/northwind",
        data=forged,
        headers={"X-Shopify-Topic": "products/create", "X-Shopify-Event-Id": "p-0",
                 "X-Shopify-Hmac-SHA256": sign("wrong", forged)},
    ) as refused:  # fmt: skip
        assert refused.status == 401
    assert await _count(app, catalog_products) == 0
    topic = "products/create"
    assert await deliver(http, app, "northwind", topic, trail_runner(2), "p-1") == (
        200,
        {"status": "product updated", "topic": topic},
    )
    # Sold out in M at Northwind; the sister store and another client's store have it.
    update = "products/update"
    assert (await deliver(http, app, "northwind", update, trail_runner(0), "p-2"))[0] == 200
    assert (await deliver(http, app, "northwind", update, trail_runner(0), "p-3"))[1] == {
        "status": "product unchanged",
        "topic": update,
    }
    rain = {**trail_runner(4, product_id=7002), "title": "Rain Jacket", "handle": "rain"}
    await deliver(http, app, "northwind", topic, rain, "p-4")
    assert (await deliver(http, app, "northwind", "products/delete", {"id": 7002}, "p-5"))[1][
        "status"
    ] == "product removed"
    await deliver(http, app, "outlet", topic, trail_runner(5), "p-6")
    await deliver(http, app, "rival", topic, trail_runner(9), "p-7")
    assert await _count(app, catalog_products) == 3

    body = webhook_body("m-1", QUESTION, customer_id="buyer@example.com", name="Bea")
    assert (await post_webhook(http, app.base_url, body))[0] == 202
    async with ConsoleClient(app, "ana") as agent:
        listing = (await agent.get("/api/stores/northwind/conversations"))[1]
        conversation_id = listing["conversations"][0]["id"]
        detail = await agent.wait_for_draft(conversation_id)
        draft = detail["draft"]
        drafted = next(e for e in detail["events"] if e["kind"] == "drafted")["payload"]
        products = drafted["products"]
        tag = products["tag"]
        assert products["need"] == "size"
        assert [(r["store_id"], r["variant_id"]) for r in products["recommended"]] == [
            ("outlet", "2")
        ]
        considered = {(c["store_id"], c.get("skipped")) for c in products["considered"]}
        assert ("northwind", "not in stock as asked") in considered
        assert all(store != "rival" for store, _ in considered)
        assert f"https://outlet.example/products/trail-runner?sd_ref={tag}" in draft["text"]
        assert (
            "recommended Trail Runner Running Shoes (M, Black): alternative to Trail Runner "
            "Running Shoes, which is not in stock as asked, size M in stock, from sister store "
            "Northwind Outlet"
        ) in draft["note"]
        status, _ = await agent.post(f"/api/drafts/{draft['id']}/approve")
        assert status == 200

    # The buyer follows the link and orders at the sister store; Shopify may repeat it.
    order = {
        "id": 820982911946154508,
        "total_price": "89.00",
        "currency": "EUR",
        "email": "someone-else@example.com",
        "landing_site": f"/products/trail-runner?sd_ref={tag}",
    }
    for event in ("o-1", "o-2"):
        assert (await deliver(http, app, "outlet", "orders/create", order, event))[0] == 200
    # The same tag on another client's order credits nothing.
    await deliver(http, app, "rival", "orders/create", {**order, "id": 5}, "o-3")
    assert await _count(app, audit_events, audit_events.c.kind == "order_attributed") == 1
    async with app.db.read_sessions() as session:
        row = (await session.execute(select(sales_orders))).mappings().one()
    assert (row["store_id"], row["conversation_id"], row["conversation_store_id"]) == (
        "outlet",
        conversation_id,
        "northwind",
    )
    assert (row["agent_id"], row["matched_by"], row["amount"]) == ("ana", "tag", "89.00")

    async with ConsoleClient(app, "sam") as lead:
        status, metrics = await lead.get("/api/metrics/northwind?period=today")
    assert status == 200
    assert metrics["sales"]["northwind"] == {
        "asked": 1,
        "answered": 1,
        "recommended": 1,
        "ordered": 1,
        "revenue": {"EUR": "89.00"},
    }
    assert (
        "- Northwind Apparel: asked 1 → answered 1 → recommended 1 → ordered 1 · revenue 89.00 EUR"
    ) in metrics["digest"]


class LeakySearch:
    """A product search that ignores the store filter: the service must still hold the wall."""

    def __init__(self, inner: CatalogSearch) -> None:
        self.inner = inner

    async def search(
        self, store_ids: Sequence[str], text: str, limit: int = 10
    ) -> list[ProductHit]:
        return await self.inner.search(["northwind", "outlet", "rival"], text, limit)


@pytest.mark.parametrize("leaky", [False, True])
async def test_another_clients_products_are_never_recommended(
    sales_app, http, embedder, leaky
) -> None:
    """Two clients sell identical products; even a policy naming the other client's store
    (as if config validation had been bypassed) and a search that ignores its filter
    never put the rival's product in a recommendation."""
    app = sales_app
    for store, stock in (("northwind", 0), ("outlet", 5), ("rival", 9)):
        await deliver(http, app, store, "products/create", trail_runner(stock), f"w-{store}")
    search = CatalogSearch(app.db, product_index(app.settings, embedder))
    recommender = Recommender(
        LeakySearch(search) if leaky else search,
        SalesPolicy(sisters={"northwind": ("outlet", "rival")}),
    )
    uow = unit_of_work_factory(app.db, SystemClock())()
    async with uow.reading() as repo:
        northwind = await repo.get_store("northwind")
    assert northwind is not None
    for text in (QUESTION, "Is the Trail Runner back in stock?", "Suggest something similar"):
        found = await recommender.recommend(uow, northwind, "size_fit", text)
        assert found is not None
        assert {i.store_id for i in found.items} <= {"northwind", "outlet"}, text
        assert all(c["store_id"] != "rival" for c in found.considered), text
    found = await recommender.recommend(uow, northwind, "size_fit", QUESTION)
    assert found is not None and [i.store_id for i in found.items] == ["outlet"]
