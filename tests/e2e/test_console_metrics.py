"""The console's metrics page: numbers and charts of a store, for members of that store."""

from __future__ import annotations

import base64
import io

from PIL import Image

from bot.clock import SystemClock
from bot.domain.commands import ReceiveCustomerMessage
from bot.services.periods import named_period
from scheduler.charts import CHART_HEIGHT, CHART_WIDTH
from scheduler.digests import DigestRunner
from scheduler.wiring import target_factory
from storage.digest_runs import Subscription
from tests.e2e.test_digest_cli import drafted_all
from tests.support.console_client import ConsoleClient


async def test_a_client_sees_its_store_s_metrics_and_charts_and_no_other_store(app) -> None:
    bus = app.core.bus
    await bus.handle(ReceiveCustomerMessage("nw-market", "m-1", "c-1", "Jo", "Where is my order?"))
    await bus.handle(ReceiveCustomerMessage("dragon-web", "d-1", "c-2", "王", "多久发货？"))
    await drafted_all(app, 2)
    runner = DigestRunner(app.db, SystemClock(), target_factory(None), worker_id="t")
    store_digest = Subscription(
        "nw-console", "console", ("northwind",), None, "0 9 * * *", "UTC", "day", "test"
    )
    assert await runner.run(store_digest, named_period("today", SystemClock().now(), "UTC"))

    async with ConsoleClient(app, "chen") as chen:  # the client of Northwind only
        status, data = await chen.get("/api/metrics/northwind?period=today")
        assert status == 200, data
        assert data["store"] == {"id": "northwind", "name": "Northwind Apparel", "timezone": "UTC"}
        assert (data["current"]["conversations"], data["current"]["messages_in"]) == (1, 1)
        assert data["digest"].startswith("# Daily digest · Northwind Apparel ·")
        assert [c["title"] for c in data["charts"]] == [
            "First response trend",
            "Volume by store",
            "Intent mix",
        ]
        for chart in data["charts"]:
            png = base64.b64decode(chart["src"].removeprefix("data:image/png;base64,"))
            with Image.open(io.BytesIO(png)) as image:
                assert image.size == (CHART_WIDTH, CHART_HEIGHT)
        (delivered,) = data["delivered_digests"]
        assert delivered["key"].startswith("nw-console:")
        assert delivered["text"].startswith("# Daily digest · Northwind Apparel ·")
        assert (await chen.get("/api/metrics/dragon?period=today"))[0] == 404
        assert (await chen.get("/api/metrics/northwind?period=someday"))[0] == 400

    async with ConsoleClient(app, "sam") as sam:  # lead of both stores
        status, data = await sam.get("/api/metrics/dragon?period=today")
        assert status == 200 and data["current"]["conversations"] == 1
        assert data["store"]["timezone"] == "Asia/Shanghai"
        assert data["delivered_digests"] == []
