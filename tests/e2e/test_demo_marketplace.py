"""The demo's stand-in marketplace accepts only correctly signed replies, each key once."""

from __future__ import annotations

import json

from tests.support.webhook_client import signed_headers


async def _post(http, app, body: bytes, headers: dict[str, str]):
    async with http.post(
        f"{app.base_url}/demo/marketplace/nw-market", data=body, headers=headers
    ) as r:
        return r.status, await r.json()


async def test_demo_marketplace_checks_signatures_and_idempotency_keys(app, http):
    body = json.dumps({"message_id": "r-1", "text": "hello"}).encode()
    headers = {**signed_headers(body), "Idempotency-Key": "send:abc"}
    assert await _post(http, app, body, headers) == (200, {"status": "received"})
    assert await _post(http, app, body, headers) == (200, {"status": "duplicate"})
    forged = {**signed_headers(body, secret="wrong"), "Idempotency-Key": "send:def"}
    status, _ = await _post(http, app, body, forged)
    assert status == 401
    async with http.get(f"{app.base_url}/demo/marketplace") as response:
        listing = await response.json()
    assert [r["key"] for r in listing["replies"]] == ["send:abc"]
