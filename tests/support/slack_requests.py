"""Signed requests as Slack sends them to HTTP mode: interactive payloads and events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

SIGNING_SECRET = "slack-test-signing-secret"


def _signed(body: str, content_type: str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }


async def post_interaction(
    http: aiohttp.ClientSession, base_url: str, payload: dict[str, Any], **kw: Any
) -> tuple[int, str]:
    body = urlencode({"payload": json.dumps(payload)})
    headers = _signed(body, "application/x-www-form-urlencoded", **kw)
    async with http.post(f"{base_url}/slack/actions", data=body, headers=headers) as response:
        return response.status, await response.text()


async def post_event(
    http: aiohttp.ClientSession,
    base_url: str,
    event: dict[str, Any],
    event_id: str,
    retry_num: int | None = None,
) -> tuple[int, str]:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )
    headers = _signed(body, "application/json")
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    async with http.post(f"{base_url}/slack/events", data=body, headers=headers) as response:
        return response.status, await response.text()


def button_press(
    *, user: str, channel: str, action_id: str, value: str, message_ts: str, thread_ts: str
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "trigger_id": "1337.42.trigger",
        "team": {"id": "T1", "domain": "storedesk-test"},
        "channel": {"id": channel, "name": "store"},
        "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "text": "card"},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "sd_draft_actions",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }


def view_submission(*, user: str, callback_id: str, private_metadata: str, values: dict) -> dict:
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "storedesk-test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1337.43.trigger",
        "view": {
            "id": "V1",
            "team_id": "T1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "h1",
            "app_id": "A1",
        },
    }
