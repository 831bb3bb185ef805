"""Replies to webhook accounts: POST to the callback URL, signed, with an idempotency key."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

import aiohttp

from bot.ports import DeliveryError, OutboundReply
from connectors.webhook import WebhookAccount
from connectors.webhook.signature import sign

TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)


class WebhookSender:
    # Receivers drop a repeated `Idempotency-Key` (the webhook protocol asks them to), so
    # an interrupted send may be repeated.
    idempotent_resend = True

    def __init__(
        self,
        accounts: Mapping[str, WebhookAccount],
        session: aiohttp.ClientSession,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._accounts = accounts
        self._session = session
        self._now = now

    async def send(self, reply: OutboundReply) -> None:
        account = self._accounts.get(reply.channel_account_id)
        if account is None:
            raise DeliveryError(
                f"unknown webhook account {reply.channel_account_id}", permanent=True
            )
        body = json.dumps(
            {
                "message_id": reply.message_id,
                "conversation_id": reply.conversation_id,
                "in_reply_to": reply.in_reply_to,
                "customer": {"id": reply.customer_external_id},
                "text": reply.text,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(self._now())
        headers = {
            "Content-Type": "application/json",
            "X-Storedesk-Timestamp": str(timestamp),
            "X-Storedesk-Signature": sign(account.secret, timestamp, body),
            "Idempotency-Key": reply.idempotency_key,
        }
        try:
            async with self._session.post(
                account.callback_url, data=body, headers=headers, timeout=TIMEOUT
            ) as response:
                if 200 <= response.status < 300:
                    return
                detail = (await response.text())[:200]
                raise DeliveryError(f"callback answered {response.status}: {detail}")
        except aiohttp.ClientError as failure:
            raise DeliveryError(
                f"callback unreachable: {type(failure).__name__}: {failure}"
            ) from None
        except TimeoutError:
            raise DeliveryError("callback timed out") from None
