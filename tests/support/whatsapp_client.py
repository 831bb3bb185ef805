"""Signed WhatsApp Cloud API webhook deliveries, built the way Meta sends them."""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

from connectors.whatsapp.signature import sign

APP_SECRET = "test-meta-app-secret"
VERIFY_TOKEN = "test-verify-token"
PHONE_NUMBER_ID = "106540352242922"


def whatsapp_body(
    wamid: str,
    text: str | None = "Hello",
    *,
    wa_id: str = "4915112345678",
    name: str = "Jo",
    at: int | None = None,
    media: dict[str, Any] | None = None,
) -> bytes:
    message: dict[str, Any] = {
        "from": wa_id,
        "id": wamid,
        "timestamp": str(int(time.time()) if at is None else at),
    }
    if media is not None:
        message.update(type=media["type"], **{media["type"]: media["object"]})
    else:
        message.update(type="text", text={"body": text})
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550783881",
                                    "phone_number_id": PHONE_NUMBER_ID,
                                },
                                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                                "messages": [message],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


async def post_whatsapp(
    http: aiohttp.ClientSession,
    base_url: str,
    body: bytes,
    *,
    account: str = "nw-whatsapp",
    signature: str | None = None,
) -> tuple[int, Any]:
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": sign(APP_SECRET, body) if signature is None else signature,
    }
    async with http.post(f"{base_url}/whatsapp/{account}", data=body, headers=headers) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text
