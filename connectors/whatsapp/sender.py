"""Replies through the Graph API `/<phone_number_id>/messages`, inside the service window.

WhatsApp lets a business answer freely for 24 hours after the customer's last message;
after that only an approved template may be sent. Without a template the reply is refused
permanently, so the thread shows why it did not go out instead of retrying for nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.ports import Clock, DeliveryError, OutboundReply
from connectors.whatsapp import WhatsAppAccount

SERVICE_WINDOW = timedelta(hours=24)
MAX_TEXT = 4096
# Graph error codes that mean "too fast, come back later" (throttling and pair rate limits).
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
# "Re-engagement message": Meta's own verdict that the 24-hour window has closed.
WINDOW_CLOSED_CODE = 131047

LastInbound = Callable[[str, str], Awaitable[datetime | None]]


class WhatsAppSender:
    def __init__(
        self,
        accounts: Mapping[str, WhatsAppAccount],
        session: aiohttp.ClientSession,
        last_inbound: LastInbound,
        clock: Clock,
    ) -> None:
        self._accounts = accounts
        self._session = session
        self._last_inbound = last_inbound
        self._clock = clock

    async def send(self, reply: OutboundReply) -> None:
        account = self._accounts.get(reply.channel_account_id)
        if account is None:
            raise DeliveryError(
                f"unknown WhatsApp account {reply.channel_account_id}", permanent=True
            )
        last = await self._last_inbound(account.id, reply.customer_external_id)
        open_window = last is not None and self._clock.now() - last < SERVICE_WINDOW
        if open_window:
            body = self._text(reply)
        elif account.template:
            body = self._template(account, reply)
        else:
            raise DeliveryError(
                "not sent: the customer last wrote on WhatsApp more than 24 hours ago and no "
                "template is configured (whatsapp.template); answer on another channel",
                permanent=True,
            )
        await self._post(account, body)

    def _text(self, reply: OutboundReply) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": reply.customer_external_id,
            "type": "text",
            "text": {"preview_url": False, "body": reply.text[:MAX_TEXT]},
        }
        if reply.in_reply_to and reply.in_reply_to.startswith("wamid."):
            body["context"] = {"message_id": reply.in_reply_to}
        return body

    def _template(self, account: WhatsAppAccount, reply: OutboundReply) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": reply.customer_external_id,
            "type": "template",
            "template": {
                "name": account.template,
                "language": {"code": account.template_language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": reply.text[:1024]}]}
                ],
            },
        }

    async def _post(self, account: WhatsAppAccount, body: dict[str, Any]) -> None:
        url = f"{account.api_url.rstrip('/')}/{account.phone_number_id}/messages"
        headers = {
            "Authorization": f"Bearer {account.access_token}",
            "Content-Type": "application/json",
        }
        timeout = aiohttp.ClientTimeout(total=account.timeout_seconds)
        try:
            async with self._session.post(
                url, data=json.dumps(body, ensure_ascii=False), headers=headers, timeout=timeout
            ) as response:
                if 200 <= response.status < 300:
                    return
                raise _graph_error(response.status, await response.text(), response.headers)
        except aiohttp.ClientError as failure:
            raise DeliveryError(f"Graph API unreachable: {type(failure).__name__}") from None
        except TimeoutError:
            raise DeliveryError("Graph API timed out") from None


def _graph_error(status: int, text: str, headers: Mapping[str, str]) -> DeliveryError:
    try:
        error = json.loads(text).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    reason = f"Graph API answered {status} (code {code}): {message or text[:200]}"
    if status == 429 or code in RATE_LIMIT_CODES:
        retry_after = headers.get("Retry-After")
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        return DeliveryError(reason, retry_after=seconds)
    if code == WINDOW_CLOSED_CODE:
        return DeliveryError(f"not sent, the 24-hour window has closed: {reason}", permanent=True)
    return DeliveryError(reason, permanent=400 <= status < 500)
