"""One customer's four messages about a late order: enough to pass the summary threshold."""

from __future__ import annotations

import aiohttp

from tests.support.webhook_client import post_webhook, webhook_body

LONG_CONVERSATION = [
    "Hello, my order #1042 has not arrived yet.",
    "The tracking for #1042 has not moved since Monday.",
    "It is a present, I need it before Friday.",
    "When will order #1042 arrive?",
]


async def post_long_conversation(http: aiohttp.ClientSession, base_url: str, prefix: str) -> None:
    for number, text in enumerate(LONG_CONVERSATION):
        await post_webhook(http, base_url, webhook_body(f"{prefix}-{number}", text))
