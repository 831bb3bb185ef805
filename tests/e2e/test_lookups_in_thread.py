"""Back-office facts reach the thread and the evidence; a failing back office blocks nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from main import RunningApp
from tests.support.console_client import ConsoleClient
from tests.support.custom_app import start_custom_app, store_of
from tests.support.fake_shopify import TOKEN, FakeShopify, shopify_order
from tests.support.webhook_client import post_webhook, webhook_body

ROOT = Path(__file__).resolve().parents[2]


async def _first_draft(app: RunningApp) -> dict:
    async with ConsoleClient(app, "ana") as agent:
        _status, listing = await agent.get("/api/stores/northwind/conversations")
        return await agent.wait_for_draft(listing["conversations"][0]["id"])


@pytest.fixture
async def csv_app(tmp_path, database_url, embedder) -> AsyncIterator[RunningApp]:
    def with_csv(config: dict) -> None:
        store_of(config)["lookup"] = {"kind": "csv", "path": str(ROOT / "examples/orders.csv")}

    app = await start_custom_app(tmp_path, database_url, embedder, with_csv)
    yield app
    await app.stop()


async def test_order_number_in_a_message_is_looked_up_shown_and_recorded(csv_app, http):
    text = "Where is my order #NW1042? How long does shipping take?"
    assert (await post_webhook(http, csv_app.base_url, webhook_body("m-1", text)))[0] == 202
    detail = await _first_draft(csv_app)
    assert (
        "Back office: order #NW1042: shipped 2026-11-20 via DHL, tracking JD014600006281234567"
        in detail["draft"]["note"]
    )
    looked_up = [e for e in detail["events"] if e["kind"] == "looked_up"]
    assert len(looked_up) == 1
    payload = looked_up[0]["payload"]
    assert payload["found"] is True and payload["source"] == "csv"
    assert payload["fields"]["tracking_number"] == "JD014600006281234567"
    assert payload["message_id"] == detail["messages"][0]["id"]


async def test_email_in_a_message_finds_the_customers_latest_order(csv_app, http):
    text = "Hi, I ordered with kim@example.com, any news?"
    await post_webhook(http, csv_app.base_url, webhook_body("m-2", text))
    detail = await _first_draft(csv_app)
    assert "order #NW1043: not shipped yet" in detail["draft"]["note"]


@pytest.fixture
async def shopify() -> AsyncIterator[FakeShopify]:
    server = FakeShopify(orders=[shopify_order(1042, "jo@example.com", tracking="1Z999AA1")])
    await server.start()
    yield server
    await server.stop()


async def test_shopify_back_office_answers_in_the_thread(
    tmp_path, database_url, embedder, http, shopify, monkeypatch
):
    monkeypatch.setenv("NW_SHOPIFY_TOKEN", TOKEN)

    def with_shopify(config: dict) -> None:
        store_of(config)["lookup"] = {
            "kind": "shopify",
            "base_url": shopify.url,
            "token_env": "NW_SHOPIFY_TOKEN",
        }

    app = await start_custom_app(tmp_path, database_url, embedder, with_shopify)
    try:
        await post_webhook(http, app.base_url, webhook_body("m-3", "Status of order 1042?"))
        detail = await _first_draft(app)
    finally:
        await app.stop()
    assert (
        "order #1042: in transit 2026-11-20 via UPS, tracking 1Z999AA1" in detail["draft"]["note"]
    )
    assert {method for method, _path, _query in shopify.requests} == {"GET"}


async def test_unreachable_back_office_is_noted_and_the_draft_still_comes(
    tmp_path, database_url, embedder, http
):
    def with_dead_back_office(config: dict) -> None:
        store_of(config)["lookup"] = {
            "kind": "http",
            "order_url": "http://127.0.0.1:9/orders/{order_number}",
            "timeout_seconds": 0.5,
        }

    app = await start_custom_app(tmp_path, database_url, embedder, with_dead_back_office)
    try:
        text = "How long does shipping take for order #5551?"
        await post_webhook(http, app.base_url, webhook_body("m-4", text))
        detail = await _first_draft(app)
    finally:
        await app.stop()
    assert detail["draft"]["confident"] is True
    assert "2-4 business days" in detail["draft"]["text"]
    assert "Back office: lookup of 5551 failed (ClientConnectorError" in detail["draft"]["note"]
    failed = next(e for e in detail["events"] if e["kind"] == "looked_up")
    assert failed["payload"]["found"] is False and failed["payload"]["error"]
