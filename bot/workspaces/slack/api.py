"""The Slack Web API as the mirror needs it: paced per channel, errors in our own terms."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import DeliveryError
from bot.services.rate_limit import RateLimiter

METADATA_EVENT = "storedesk_item"
LOST_THREAD_ERRORS = frozenset({"thread_not_found", "message_not_found"})
CHANNEL_ERRORS = frozenset(
    {"is_archived", "channel_not_found", "not_in_channel", "account_inactive", "invalid_auth"}
)
MAX_PACING_WAIT = 5.0


class ThreadLost(Exception):
    """The parent message is gone: the conversation needs a fresh parent."""


class UnsureSend(DeliveryError):
    """The call may or may not have reached Slack; reconcile before posting again."""


class SlackApi:
    def __init__(self, client: AsyncWebClient, limiter: RateLimiter) -> None:
        self._client = client
        self._limiter = limiter

    async def _paced(self, channel: str) -> None:
        wait = self._limiter.try_acquire(channel)
        if wait > MAX_PACING_WAIT:
            raise DeliveryError(f"pacing channel {channel}", retry_after=wait)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _call(self, method: str, **params: Any) -> dict[str, Any]:
        # The SDK's own method encodes each parameter the way Slack expects for that method.
        sdk_method = getattr(self._client, method.replace(".", "_"))
        try:
            response = await sdk_method(**params)
        except SlackApiError as failure:
            data = failure.response.data if isinstance(failure.response.data, dict) else {}
            error = str(data.get("error", "unknown_error"))
            if failure.response.status_code == 429:
                retry_after = float(failure.response.headers.get("Retry-After", "1"))
                raise DeliveryError(
                    f"slack {method}: rate limited", retry_after=retry_after
                ) from None
            if error in LOST_THREAD_ERRORS:
                raise ThreadLost(error) from None
            permanent = error in CHANNEL_ERRORS
            raise DeliveryError(f"slack {method}: {error}", permanent=permanent) from None
        except (TimeoutError, aiohttp.ClientError) as failure:
            raise UnsureSend(f"slack {method}: no answer ({type(failure).__name__})") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        item_key: str,
        thread_ts: str | None = None,
    ) -> str:
        await self._paced(channel)
        params: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "blocks": blocks,
            "unfurl_links": False,
            "unfurl_media": False,
            # The key travels with the message, so an unsure send can be found again.
            "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": item_key}},
        }
        if thread_ts is not None:
            params["thread_ts"] = thread_ts
        data = await self._call("chat.postMessage", **params)
        return str(data["ts"])

    async def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> None:
        await self._paced(channel)
        await self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)

    async def find_item(self, channel: str, parent_ts: str | None, item_key: str) -> str | None:
        """Look for a message we may have posted (by its metadata key); its ts, or None."""
        if parent_ts is None:
            data = await self._call(
                "conversations.history", channel=channel, limit=200, include_all_metadata=True
            )
        else:
            data = await self._call(
                "conversations.replies",
                channel=channel,
                ts=parent_ts,
                limit=1000,
                include_all_metadata=True,
            )
        for message in data.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == item_key:
                return str(message["ts"])
        return None

    async def permalink(self, channel: str, ts: str) -> str | None:
        try:
            data = await self._call("chat.getPermalink", channel=channel, message_ts=ts)
        except (DeliveryError, ThreadLost):
            return None
        return str(data.get("permalink")) if data.get("permalink") else None

    async def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None) -> None:
        params: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            params["thread_ts"] = thread_ts
        try:
            await self._call("chat.postEphemeral", **params)
        except (DeliveryError, ThreadLost):
            return  # a lost courtesy note is not worth a retry

    async def user_email(self, user_id: str) -> str | None:
        try:
            data = await self._call("users.info", user=user_id)
        except (DeliveryError, ThreadLost):
            return None
        email = ((data.get("user") or {}).get("profile") or {}).get("email")
        return str(email) if email else None

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        await self._call("views.open", trigger_id=trigger_id, view=view)
