"""The console page shows a long conversation's summary under the thread header."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_chat_and_console import browser  # noqa: F401  (the fixture)
from tests.support.long_conversation import post_long_conversation

pytestmark = pytest.mark.browser


async def test_the_thread_header_shows_the_summary(app, browser, http):  # noqa: F811
    await post_long_conversation(http, app.base_url, "page")
    page = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
    code = app.auth.sign_in_code("sam")
    await page.goto(f"{app.base_url}/console/signin?member=sam&code={code}")
    await page.get_by_test_id("store-northwind").click()
    await page.locator('[data-testid^="conversation-"]').first.click()
    summary = page.get_by_test_id("thread-summary")
    await expect(summary).to_contain_text("Customer, 4 messages", timeout=20_000)
    await expect(summary).to_contain_text("Latest: When will order #1042 arrive?")
