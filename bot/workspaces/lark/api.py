"""The Lark Open Platform calls the adapter makes, over plain aiohttp, errors in our terms.

The tenant_access_token is cached until shortly before it expires and fetched again (and
the call retried once) when Lark says it is invalid. Rate limits (HTTP 429 or code
99991400) become a `DeliveryError` with `retry_after`, so the outbox waits without spending
an attempt. Sends carry Lark's `uuid`: the same uuid within an hour yields one message, so
a send whose answer was lost can be repeated safely.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.ports import DeliveryError
from bot.services.rate_limit import RateLimiter

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
MESSAGES_PATH = "/open-apis/im/v1/messages"
CHATS_PATH = "/open-apis/im/v1/chats"
# Invalid or missing access token: fetch a fresh one and retry once.
TOKEN_INVALID_CODES = frozenset({99991661, 99991663, 99991668})
RATE_LIMIT_CODES = frozenset({99991400})
TOKEN_MARGIN_SECONDS = 300.0
MAX_PACING_WAIT = 5.0
DEFAULT_RETRY_AFTER = 1.0


class LarkError(DeliveryError):
    """Lark answered with a non-zero code."""

    def __init__(self, reason: str, code: int, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.code = code


class LarkApi:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        app_id: str,
        app_secret: str,
        limiter: RateLimiter,
        *,
        timeout_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._limiter = limiter
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._monotonic = monotonic
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    # --- messages ---------------------------------------------------------------------------

    async def send(self, chat_id: str, msg_type: str, content: dict[str, Any], uuid: str) -> str:
        """Post at the group's root; returns the message id."""
        body = {
            "receive_id": chat_id,
            "msg_type": msg_type,
            "content": json.dumps(content, ensure_ascii=False),
            "uuid": uuid,
        }
        await self._paced(chat_id)
        data = await self._call(
            "POST", MESSAGES_PATH, params={"receive_id_type": "chat_id"}, json_body=body
        )
        return str(data["message_id"])

    async def reply(
        self, chat_id: str, message_id: str, msg_type: str, content: dict[str, Any], uuid: str
    ) -> str:
        """Reply in the thread of `message_id` (created by the first reply)."""
        body = {
            "msg_type": msg_type,
            "content": json.dumps(content, ensure_ascii=False),
            "reply_in_thread": True,
            "uuid": uuid,
        }
        await self._paced(chat_id)
        data = await self._call("POST", f"{MESSAGES_PATH}/{message_id}/reply", json_body=body)
        return str(data["message_id"])

    async def update_card(self, chat_id: str, message_id: str, card: dict[str, Any]) -> None:
        await self._paced(chat_id)
        await self._call(
            "PATCH",
            f"{MESSAGES_PATH}/{message_id}",
            json_body={"content": json.dumps(card, ensure_ascii=False)},
        )

    async def create_chat(self, name: str, members: list[str], uuid: str) -> str:
        body: dict[str, Any] = {
            "name": name[:60],
            "description": "Storedesk: one thread per customer conversation",
            "chat_mode": "group",
            "chat_type": "private",
        }
        if members:
            body["user_id_list"] = members[:50]
        params = {"user_id_type": "open_id", "set_bot_manager": "true", "uuid": uuid}
        data = await self._call("POST", CHATS_PATH, params=params, json_body=body)
        return str(data["chat_id"])

    # --- plumbing ---------------------------------------------------------------------------

    async def _paced(self, chat_id: str) -> None:
        wait = self._limiter.try_acquire(chat_id)
        if wait > MAX_PACING_WAIT:
            raise DeliveryError(f"pacing lark chat {chat_id}", retry_after=wait)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any],
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        token = await self._tenant_token()
        try:
            return await self._request(method, path, token, json_body, params)
        except LarkError as failure:
            if failure.code not in TOKEN_INVALID_CODES:
                raise
        self._forget(token)
        return await self._request(method, path, await self._tenant_token(), json_body, params)

    async def _request(
        self,
        method: str,
        path: str,
        token: str,
        json_body: dict[str, Any],
        params: dict[str, str] | None,
    ) -> dict[str, Any]:
        what = f"lark {method} {path}"
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._http.request(
                method,
                self._base + path,
                params=params,
                json=json_body,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                retry_after = _retry_after(response.headers)
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (TimeoutError, aiohttp.ClientError) as failure:
            raise DeliveryError(f"{what}: no answer ({type(failure).__name__})") from None
        if not isinstance(answer, dict):
            if status == 429:
                raise LarkError(f"{what}: rate limited", 0, retry_after=retry_after)
            raise DeliveryError(f"{what}: HTTP {status} without a JSON answer")
        code = int(answer.get("code") or 0)
        if status == 429 or code in RATE_LIMIT_CODES:
            raise LarkError(f"{what}: rate limited ({code})", code, retry_after=retry_after)
        if code != 0:
            reason = f"{what}: code {code} {answer.get('msg', '')}".rstrip()
            # A refused request (bot not in the group, no permission, bad card) stays refused.
            permanent = 400 <= status < 500 and code not in TOKEN_INVALID_CODES
            raise LarkError(reason, code, permanent=permanent)
        if status >= 300:
            raise DeliveryError(f"{what}: HTTP {status}")
        data = answer.get("data")
        return data if isinstance(data, dict) else {}

    async def _tenant_token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._monotonic() < self._token_until:
                return self._token
            try:
                async with self._http.post(
                    self._base + TOKEN_PATH,
                    json={"app_id": self._app_id, "app_secret": self._app_secret},
                    timeout=self._timeout,
                ) as response:
                    answer = await response.json(content_type=None)
            except (TimeoutError, aiohttp.ClientError, ValueError) as failure:
                raise DeliveryError(f"lark token: no answer ({type(failure).__name__})") from None
            if not isinstance(answer, dict) or answer.get("code") != 0:
                code = answer.get("code") if isinstance(answer, dict) else None
                raise DeliveryError(f"lark token refused (code {code}); check app_id and secret")
            self._token = str(answer["tenant_access_token"])
            lifetime = float(answer.get("expire") or 0)
            self._token_until = self._monotonic() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            return self._token

    def _forget(self, token: str) -> None:
        if self._token == token:
            self._token = None


def _retry_after(headers: Any) -> float:
    """Lark's gateway says when the limit resets (`x-ogw-ratelimit-reset`, seconds)."""
    for name in ("x-ogw-ratelimit-reset", "Retry-After"):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                continue
    return DEFAULT_RETRY_AFTER
