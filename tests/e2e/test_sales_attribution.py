"""Orders on the signed webhook's `order` event are credited to the conversation whose
recommendation led to them: by tracking tag or by the customer's email, inside the
configured window only, once per order id. The app runs on a clock the test moves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.domain.catalog import Product, Variant
from bot.services.outbox_worker import WorkerSettings
from bot.services.retry_policy import RetryPolicy
from knowledge.catalog.service import Catalogue
from knowledge.catalog.wiring import product_index
from main import RunningApp, directory_from, start_app
from storage import migrate
from storage.database import open_database
from storage.directory import sync_directory
from storage.orm import audit_events
from tests.support.config import settings_dict
from tests.support.console_client import ConsoleClient
from tests.support.webhook_client import post_webhook, signed_headers, webhook_body

WINDOW_HOURS = 48


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.at

    def advance(self, hours: float) -> None:
        self.at += timedelta(hours=hours)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def shop(tmp_path, database_url, embedder, clock) -> AsyncIterator[RunningApp]:
    config = settings_dict(tmp_path / "data", "http://127.0.0.1:9", database_url=database_url)
    config["sales"] = {"attribution_window_hours": WINDOW_HOURS}
    settings = Settings.model_validate(config)
    # The catalogue is there before the app starts; the app's start brings its index along.
    db = open_database(settings.database_url)
    await migrate.upgrade(db)
    async with db.write_sessions() as session, session.begin():
        await sync_directory(session, directory_from(settings))
    shoe = Product(
        "northwind",
        "trail",
        "Trail Runner Running Shoes",
        description="Grippy outsole for mountain paths",
        url="https://northwind.example/products/trail",
        variants=(Variant("trail-m", size="M", colour="black", price="89.00", stock=4),),
    )
    await Catalogue(db, product_index(settings, embedder), clock).save([shoe])
    await db.dispose()
    app = await start_app(
        settings,
        port=0,
        clock=clock,
        embedder=embedder,
        retry_policy=RetryPolicy(base_seconds=0.05, cap_seconds=0.2),
        worker_settings=WorkerSettings(poll_seconds=0.05),
    )
    yield app
    await app.stop()


async def place(http: aiohttp.ClientSession, app: RunningApp, **order: Any) -> tuple[int, Any]:
    body = json.dumps({"type": "order", "order": order}).encode()
    return await post_webhook(http, app.base_url, body, headers=signed_headers(body))


async def attributed(app: RunningApp) -> list[dict[str, Any]]:
    query = select(audit_events.c.payload).where(audit_events.c.kind == "order_attributed")
    async with app.db.read_sessions() as session:
        return [dict(p) for p in (await session.scalars(query.order_by(audit_events.c.seq))).all()]


async def test_orders_are_attributed_by_tag_or_customer_inside_the_window_once(
    shop, http, clock
) -> None:
    body = webhook_body(
        "m-1", "Do you have the Trail Runner in size M?", customer_id="bea@example.com"
    )
    assert (await post_webhook(http, shop.base_url, body))[0] == 202
    async with ConsoleClient(shop, "ana") as agent:
        conversation = (await agent.get("/api/stores/northwind/conversations"))[1]
        detail = await agent.wait_for_draft(conversation["conversations"][0]["id"])
        tag = next(e for e in detail["events"] if e["kind"] == "drafted")["payload"]["products"][
            "tag"
        ]
        assert f"https://northwind.example/products/trail?sd_ref={tag}" in detail["draft"]["text"]
        assert (await agent.post(f"/api/drafts/{detail['draft']['id']}/approve"))[0] == 200
    link = f"https://northwind.example/products/trail?sd_ref={tag}"

    clock.advance(1)
    assert await place(http, shop, id="A-1", total="89.00", currency="eur", landing_url=link) == (
        200,
        {"status": "attributed"},
    )
    # The marketplace repeats the event: acknowledged, credited once.
    assert (await place(http, shop, id="A-1", total="89.00", landing_url=link))[1] == {
        "status": "duplicate"
    }
    clock.advance(WINDOW_HOURS - 2)  # 47 h after the recommendation: inside
    assert (await place(http, shop, id="A-2", total="20.00", email="BEA@example.com"))[1] == {
        "status": "attributed"
    }
    clock.advance(2)  # 49 h: outside, whether by customer or by tag
    assert (await place(http, shop, id="A-3", total="5", email="bea@example.com"))[1] == {
        "status": "unmatched"
    }
    assert (await place(http, shop, id="A-4", total="5", tag=tag))[1] == {"status": "unmatched"}
    # An order placed before the window closed is judged by its own time, not arrival.
    placed = (clock.now() - timedelta(hours=3)).isoformat()
    assert (await place(http, shop, id="A-5", total="7", tag=tag, created_at=placed))[1] == {
        "status": "attributed"
    }
    assert (await place(http, shop, total="5"))[0] == 400  # no order id

    credited = await attributed(shop)
    assert [(c["order_id"], c["matched_by"], c["agent_id"]) for c in credited] == [
        ("A-1", "tag", "ana"),
        ("A-2", "customer", "ana"),
        ("A-5", "tag", "ana"),
    ]
    assert credited[0]["currency"] == "EUR" and credited[0]["tag"] == tag
