"""The knowledge page in real Chromium: a lead browses, edits an article into a new version
and finds it by searching in the store's scope; the page runs under the console's CSP."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.test_chat_and_console import browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


async def test_lead_edits_an_article_and_finds_the_new_version(app, browser):  # noqa: F811
    page = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    code = app.auth.sign_in_code("sam")
    await page.goto(f"{app.base_url}/console/signin?member=sam&code={code}")
    await page.get_by_test_id("link-knowledge").click()
    await page.get_by_test_id("kb-store").select_option("northwind")

    await page.get_by_test_id("kb-article").filter(has_text="How do I return an item?").click()
    body = page.get_by_test_id("kb-edit-body")
    await body.fill("Return unworn items within 60 days; the label is free.")
    await page.get_by_role("button", name="Save new version").click()
    await expect(page.get_by_test_id("toast")).to_contain_text("new version")
    await expect(page.get_by_text("v2 · active")).to_be_visible()
    await page.get_by_role("button", name="diff").click()
    await expect(page.get_by_test_id("kb-diff")).to_contain_text("+Return unworn items within 60")

    await page.get_by_role("tab", name="Search").click()
    await page.get_by_test_id("kb-search").fill("can I send back my order")
    await page.get_by_test_id("kb-search").press("Enter")
    await expect(page.get_by_text("northwind/faq/returns v2")).to_be_visible()
    assert problems == []
