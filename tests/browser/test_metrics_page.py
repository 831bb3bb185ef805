"""The metrics page in real Chromium: a client picks their store and sees numbers and charts."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from bot.domain.commands import ReceiveCustomerMessage
from scheduler.charts import CHART_WIDTH
from tests.browser.test_chat_and_console import ARTIFACTS, browser
from tests.e2e.test_digest_cli import drafted_all

pytestmark = pytest.mark.browser
__all__ = ["browser"]


async def test_a_client_reads_the_metrics_page_of_their_store(app, browser) -> None:
    await app.core.bus.handle(
        ReceiveCustomerMessage("nw-market", "m-1", "c-1", "Jo", "Where is my order?")
    )
    await drafted_all(app, 1)
    page = await (await browser.new_context(viewport={"width": 1300, "height": 1000})).new_page()
    code = app.auth.sign_in_code("chen")
    await page.goto(f"{app.base_url}/console/signin?member=chen&code={code}")
    await page.get_by_test_id("link-metrics").click()
    stores = page.get_by_test_id("metrics-store").locator("option")
    await expect(stores).to_have_text(["Northwind Apparel"])  # only the client's store
    await page.get_by_test_id("metrics-period").select_option("today")
    table = page.get_by_test_id("metrics-table")
    await expect(table.locator("tr", has_text="Conversations")).to_contain_text("1")
    images = page.locator("#metrics-charts img")
    await expect(images).to_have_count(3)
    widths = await images.evaluate_all("(imgs) => imgs.map((i) => i.naturalWidth)")
    assert widths == [CHART_WIDTH] * 3
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "metrics-page.png"), full_page=True)
