"""A person's view in real Chromium: a customer chats, an agent approves, the reply shows up."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Chromium must not reach out to the internet from this sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM_PRESENT:
        pytest.fail(
            "Debian chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def test_customer_chats_agent_approves_and_customer_sees_the_reply(app, browser):
    customer = await (await browser.new_context()).new_page()
    await customer.goto(f"{app.base_url}/chat/northwind")
    await customer.get_by_test_id("chat-name").fill("Jo")
    await customer.get_by_test_id("chat-text").fill("How long does shipping take?")
    await customer.get_by_test_id("chat-send").click()
    await expect(customer.get_by_test_id("chat-message-in")).to_contain_text("shipping")

    agent = await (await browser.new_context(viewport={"width": 1400, "height": 900})).new_page()
    code = app.auth.sign_in_code("ana")
    await agent.goto(f"{app.base_url}/console/signin?member=ana&code={code}")
    await agent.get_by_test_id("store-northwind").click()
    await agent.locator('[data-testid^="conversation-"]').first.click()
    card = agent.get_by_test_id("draft-card")
    await expect(card).to_be_visible(timeout=15_000)
    await expect(agent.get_by_test_id("draft-text")).to_contain_text("2-4 business days")
    await agent.get_by_test_id("btn-approve").click()
    await expect(agent.get_by_test_id("message-out")).to_contain_text("2-4 business days")

    # The customer's page updates live (no reload) with the approved answer.
    await expect(customer.get_by_test_id("chat-message-out")).to_contain_text(
        "2-4 business days", timeout=15_000
    )
    ARTIFACTS.mkdir(exist_ok=True)
    await agent.screenshot(path=str(ARTIFACTS / "console.png"), full_page=True)
    await customer.screenshot(path=str(ARTIFACTS / "chat.png"))


async def test_client_member_sees_a_read_only_console(app, browser, http):
    from tests.support.webhook_client import post_webhook, webhook_body

    await post_webhook(
        http, app.base_url, webhook_body("b-1", "Which payment methods do you accept?")
    )
    page = await (await browser.new_context()).new_page()
    code = app.auth.sign_in_code("chen")
    await page.goto(f"{app.base_url}/console/signin?member=chen&code={code}")
    await expect(page.get_by_test_id("readonly-banner")).to_be_visible()
    await page.get_by_test_id("store-northwind").click()
    await page.locator('[data-testid^="conversation-"]').first.click()
    await expect(page.get_by_test_id("draft-card")).to_be_visible(timeout=15_000)
    await expect(page.get_by_test_id("btn-approve")).to_have_count(0)
    await expect(page.get_by_test_id("btn-reply")).to_have_count(0)


async def test_console_lists_a_message_s_attachments_and_links_only_web_addresses(
    app, browser, http
):
    import json

    from tests.support.webhook_client import post_webhook, webhook_body

    body = json.loads(webhook_body("att-1", "The parcel arrived broken, photos attached."))
    body["attachments"] = [
        {
            "url": "https://cdn.market.example/p/1.jpg",
            "name": "box.jpg",
            "content_type": "image/jpeg",
        },
        {
            "url": "email:nw-mail/<x@y>#part=0",
            "name": "label.pdf",
            "content_type": "application/pdf",
        },
    ]
    status, _ = await post_webhook(http, app.base_url, json.dumps(body).encode())
    assert status == 202
    page = await (await browser.new_context()).new_page()
    code = app.auth.sign_in_code("ana")
    await page.goto(f"{app.base_url}/console/signin?member=ana&code={code}")
    await page.get_by_test_id("store-northwind").click()
    await page.locator('[data-testid^="conversation-"]').first.click()
    items = page.get_by_test_id("message-in").get_by_test_id("attachment")
    await expect(items).to_have_count(2)
    await expect(items.nth(0)).to_contain_text("box.jpg (image/jpeg)")
    link = items.nth(0).get_by_role("link")
    await expect(link).to_have_attribute("href", "https://cdn.market.example/p/1.jpg")
    await expect(items.nth(1)).to_contain_text("label.pdf (application/pdf)")
    await expect(items.nth(1).get_by_role("link")).to_have_count(0)
