"""Digests into a Slack channel: the summary as a message, the charts in its thread.

The message carries the digest's key as metadata, so a delivery interrupted by a crash is
completed (charts uploaded if missing) instead of posted twice.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import DeliveryError, Digest

DIGEST_EVENT = "storedesk_digest"
HISTORY_LIMIT = 100

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def slack_mrkdwn(markdown: str) -> str:
    """The digest's small Markdown subset in Slack's mrkdwn: headings and bold as *bold*."""
    lines = []
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        text = f"**{heading.group(1)}**" if heading else line
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _BOLD.sub(r"*\1*", text)
        lines.append("•" + text[1:] if text.startswith("- ") else text)
    return "\n".join(lines)


class SlackDigestTarget:
    def __init__(self, client: AsyncWebClient, channel: str) -> None:
        self._client = client
        self._channel = channel

    async def deliver(self, digest: Digest) -> None:
        try:
            parent = await self._already_posted(digest.key)
            if parent is None:
                posted = await self._client.chat_postMessage(
                    channel=self._channel,
                    text=slack_mrkdwn(digest.markdown),
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata={"event_type": DIGEST_EVENT, "event_payload": {"key": digest.key}},
                )
                parent_ts, shared = str(posted["ts"]), set()
            else:
                parent_ts = str(parent["ts"])
                shared = await self._shared_files(parent_ts)
            missing = [image for image in digest.images if image.filename not in shared]
            if missing:
                await self._client.files_upload_v2(
                    file_uploads=[
                        {
                            "file": image.png,
                            "filename": image.filename,
                            "title": image.title,
                            "alt_txt": image.title,
                        }
                        for image in missing
                    ],
                    channel=self._channel,
                    thread_ts=parent_ts,
                )
        except SlackApiError as failure:
            data = failure.response.data if isinstance(failure.response.data, dict) else {}
            error = str(data.get("error", "unknown_error"))
            raise DeliveryError(f"slack digest to {self._channel}: {error}") from None
        except (TimeoutError, aiohttp.ClientError) as failure:
            raise DeliveryError(
                f"slack digest to {self._channel}: no answer ({type(failure).__name__})"
            ) from None

    async def _already_posted(self, key: str) -> dict[str, Any] | None:
        history = await self._client.conversations_history(
            channel=self._channel, limit=HISTORY_LIMIT, include_all_metadata=True
        )
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == DIGEST_EVENT
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return dict(message)
        return None

    async def _shared_files(self, parent_ts: str) -> set[str]:
        replies = await self._client.conversations_replies(channel=self._channel, ts=parent_ts)
        return {
            str(file.get("name"))
            for message in replies.get("messages") or []
            for file in message.get("files") or []
        }
