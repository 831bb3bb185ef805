"""Back-office lookups against real HTTP servers on 127.0.0.1: found, not found, failed, slow."""

from __future__ import annotations

import inspect
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.ports import LookupResult
from bot.services.lookups import look_up_orders, thread_line
from connectors.lookups.cache import CachedLookup, FallbackLookup
from connectors.lookups.csv_file import CsvLookup
from connectors.lookups.http_json import HttpJsonLookup
from connectors.shopify.admin import ShopifyAdminLookup
from tests.support.fake_shopify import TOKEN, FakeShopify, shopify_order

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def shopify() -> AsyncIterator[FakeShopify]:
    server = FakeShopify(
        orders=[
            shopify_order(1042, "jo@example.com", tracking="1Z999AA10123456784", refunded="10.00"),
            shopify_order(1043, "kim@example.com"),
            shopify_order(1050, "jo@example.com", created_at="2026-11-22T10:00:00-05:00"),
        ]
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def admin(http: aiohttp.ClientSession, shopify: FakeShopify, **kw) -> ShopifyAdminLookup:
    return ShopifyAdminLookup(
        http, base_url=shopify.url, access_token=kw.pop("token", TOKEN), timeout=0.5, **kw
    )


async def test_shopify_order_by_number_has_tracking_and_refunds(http, shopify):
    result = await admin(http, shopify).find_order("northwind", order_number="#1042")
    assert result.found and result.source == "shopify"
    assert result.fields["order_id"] == "#1042"
    assert result.fields["status"] == "in transit"
    assert result.fields["carrier"] == "UPS"
    assert result.fields["tracking_number"] == "1Z999AA10123456784"
    assert result.fields["tracking_url"] == "https://track.example/1Z999AA10123456784"
    assert result.fields["refunded_amount"] == "10.00"  # the failed refund is not counted
    assert result.summary.startswith("order #1042: in transit 2026-11-20 via UPS")
    assert "refunded 10.00 EUR" in result.summary
    assert shopify.requests == [
        ("GET", "/admin/api/2024-10/orders.json", {"name": "#1042", "status": "any"})
    ]


async def test_shopify_order_by_email_is_the_customers_newest(http, shopify):
    result = await admin(http, shopify).find_order("northwind", email="jo@example.com")
    assert result.found
    assert result.fields["order_id"] == "#1050"
    assert result.fields["status"] == "not shipped yet"
    assert [path for _m, path, _q in shopify.requests] == [
        "/admin/api/2024-10/customers/search.json",
        f"/admin/api/2024-10/customers/{zlib.crc32(b'jo@example.com')}/orders.json",
    ]


async def test_shopify_unknown_order_is_not_found_and_a_bad_token_is_a_failure(http, shopify):
    missing = await admin(http, shopify).find_order("northwind", order_number="9999")
    assert (missing.found, missing.error) == (False, "")
    assert missing.summary == "no order found for 9999"
    refused = await admin(http, shopify, token="wrong").find_order("s", order_number="1042")
    assert refused.found is False
    assert "refused the access token (401)" in refused.error


async def test_shopify_slow_or_broken_answers_fail_with_a_reason(http, shopify):
    shopify.delay_seconds = 1.0
    slow = await admin(http, shopify).find_order("northwind", order_number="1042")
    assert slow.error == "Shopify timed out"
    shopify.delay_seconds, shopify.fail_with = 0.0, 429
    limited = await admin(http, shopify).find_order("northwind", order_number="1042")
    assert "rate limit" in limited.error


async def test_no_adapter_can_change_an_order(http, shopify, tmp_path):
    """Read-only by design: every adapter's public surface is `find_order`, and it only GETs."""
    for adapter in (ShopifyAdminLookup, HttpJsonLookup, CsvLookup, CachedLookup, FallbackLookup):
        public = [n for n, _ in inspect.getmembers(adapter, inspect.isfunction) if n[0] != "_"]
        assert public == ["find_order"], adapter
    await admin(http, shopify).find_order("northwind", order_number="1042")
    await admin(http, shopify).find_order("northwind", email="kim@example.com")
    assert {method for method, _p, _q in shopify.requests} == {"GET"}


@pytest.fixture
async def back_office() -> AsyncIterator[tuple[str, list[dict]]]:
    """A generic ERP-style JSON API: `/api/orders/<n>` and `/api/orders?email=`."""
    seen: list[dict] = []
    orders = {"1042": {"number": "1042", "state": "shipped", "shipping": {"code": "JT123"}}}

    async def by_number(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "auth": request.headers.get("X-Api-Key")})
        if request.path.endswith("/boom"):
            return web.json_response({"error": "down"}, status=503)
        order = orders.get(request.match_info["number"])
        if order is None:
            return web.json_response({"error": "no such order"}, status=404)
        return web.json_response({"data": order})

    async def by_email(request: web.Request) -> web.Response:
        seen.append({"path": request.path, "email": request.query.get("email")})
        return web.json_response(
            {"data": [] if "nobody" in request.query["email"] else [orders["1042"]]}
        )

    app = web.Application()
    app.router.add_get("/api/orders/{number}", by_number)
    app.router.add_get("/api/orders", by_email)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", seen
    await runner.cleanup()


def generic(http: aiohttp.ClientSession, base: str) -> HttpJsonLookup:
    return HttpJsonLookup(
        http,
        order_url=f"{base}/api/orders/{{order_number}}",
        email_url=f"{base}/api/orders?email={{email}}",
        headers={"X-Api-Key": "k-1"},
        fields={"order_id": "number", "status": "state", "tracking_number": "shipping.code"},
        result_path="data",
        timeout=1.0,
    )


async def test_http_json_lookup_maps_fields_and_sends_the_auth_header(http, back_office):
    base, seen = back_office
    result = await generic(http, base).find_order("northwind", order_number="#1042")
    assert result.found and result.source == "http"
    assert result.fields == {"order_id": "1042", "status": "shipped", "tracking_number": "JT123"}
    assert result.summary == "order #1042: shipped, tracking JT123"
    assert seen[0] == {"path": "/api/orders/1042", "auth": "k-1"}
    by_email = await generic(http, base).find_order("northwind", email="jo+x@example.com")
    assert by_email.found and seen[1]["email"] == "jo+x@example.com"


async def test_http_json_lookup_not_found_and_failures(http, back_office):
    base, _seen = back_office
    lookup = generic(http, base)
    assert (await lookup.find_order("s", order_number="7")).summary == "no order found for 7"
    assert (await lookup.find_order("s", email="nobody@example.com")).found is False
    down = await lookup.find_order("s", order_number="boom")
    assert down.error == "back office answered 503"
    unreachable = await generic(http, "http://127.0.0.1:9").find_order("s", order_number="1")
    assert unreachable.found is False and "ClientConnectorError" in unreachable.error


async def test_csv_lookup_by_number_and_email_and_a_missing_file(tmp_path):
    demo = CsvLookup(ROOT / "examples" / "orders.csv")
    result = await demo.find_order("northwind", order_number="#NW1042")
    assert result.found and result.source == "csv"
    assert result.fields["tracking_number"]
    assert (await demo.find_order("northwind", order_number="nw1042")).found
    by_email = await demo.find_order("northwind", email="JO@example.com")
    assert by_email.found
    assert (await demo.find_order("northwind", order_number="1")).found is False
    gone = await CsvLookup(tmp_path / "nope.csv").find_order("s", order_number="1")
    assert gone.found is False and "cannot read nope.csv" in gone.error


class Counting:
    def __init__(self, result: LookupResult) -> None:
        self.result = result
        self.calls = 0
        self.asked: list[str | None] = []

    async def find_order(self, store_id, *, order_number=None, email=None) -> LookupResult:
        self.calls += 1
        self.asked.append(order_number or email)
        return self.result


async def test_cache_keeps_answers_briefly_but_never_failures():
    now = [0.0]
    answer = Counting(LookupResult("order", "1", True, "csv", summary="order #1: shipped"))
    cached = CachedLookup(answer, ttl=60, now=lambda: now[0])
    for _ in range(3):
        await cached.find_order("s", order_number="1")
    assert answer.calls == 1
    now[0] = 61
    await cached.find_order("s", order_number="1")
    assert answer.calls == 2
    failing = Counting(LookupResult("order", "1", False, "csv", error="down"))
    cached_failure = CachedLookup(failing, ttl=60, now=lambda: now[0])
    await cached_failure.find_order("s", order_number="1")
    await cached_failure.find_order("s", order_number="1")
    assert failing.calls == 2


async def test_fallback_asks_the_second_source_only_when_the_first_fails():
    down = Counting(LookupResult("order", "1", False, "shopify", error="Shopify timed out"))
    known = Counting(LookupResult("order", "1", True, "shopify-webhooks", summary="x"))
    assert (await FallbackLookup(down, known).find_order("s", order_number="1")).found
    empty = Counting(LookupResult("order", "1", False, "shopify"))
    assert not (await FallbackLookup(empty, known).find_order("s", order_number="1")).found
    assert known.calls == 1


class Hanging:
    async def find_order(self, store_id, *, order_number=None, email=None) -> LookupResult:
        import asyncio

        await asyncio.sleep(30)
        raise AssertionError("not reached")


class Broken:
    async def find_order(self, store_id, *, order_number=None, email=None) -> LookupResult:
        raise KeyError("id")


async def test_a_hanging_or_broken_lookup_becomes_a_failed_result_not_an_error():
    entities = {"order_numbers": ["1042", "1043"], "emails": ["jo@example.com"]}
    slow = await look_up_orders(Hanging(), "s", entities, within_seconds=0.05)
    assert [(r.query, r.error) for r in slow] == [
        ("1042", "timed out after 0.05s"),
        ("1043", "timed out after 0.05s"),
    ]
    broken = await look_up_orders(Broken(), "s", {"order_numbers": [], "emails": ["a@b.co"]})
    assert broken[0].query == "a@b.co" and broken[0].error == "KeyError: 'id'"
    assert thread_line(broken) == "Back office: lookup of a@b.co failed (KeyError: 'id')"
    assert await look_up_orders(Broken(), "s", {"order_numbers": [], "emails": []}) == []


async def test_the_senders_address_is_looked_up_when_the_text_names_no_order():
    answer = Counting(LookupResult("order", "jo@example.com", True, "csv", summary="s"))
    none_named = {"order_numbers": [], "emails": []}
    await look_up_orders(answer, "s", none_named, customer_email="jo@example.com")
    named = {"order_numbers": ["1042"], "emails": []}
    await look_up_orders(answer, "s", named, customer_email="x@y.z")
    assert answer.asked == ["jo@example.com", "1042"]
