"""Sends signed webhook deliveries the way a marketplace would."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

from connectors.webhook.signature import sign
from tests.support.config import WEBHOOK_SECRET


def webhook_body(message_id: str, text: str, customer_id: str = "c-1", name: str = "Jo") -> bytes:
    return json.dumps(
        {
            "message_id": message_id,
            "customer": {"id": customer_id, "name": name},
            "text": text,
            "sent_at": "2026-11-23T10:00:00Z",
        }
    ).encode()


def signed_headers(
    body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    return {
        "Content-Type": "application/json",
        "X-Storedesk-Timestamp": str(timestamp),
        "X-Storedesk-Signature": sign(secret, timestamp, body),
    }


async def post_webhook(
    http: aiohttp.ClientSession, base_url: str, body: bytes, account: str = "nw-market", **kw: Any
) -> tuple[int, Any]:
    headers = kw.pop("headers", None) or signed_headers(body)
    async with http.post(f"{base_url}/hooks/{account}", data=body, headers=headers) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text
