"""The WeCom server API over plain aiohttp: an access token cached until shortly before it
expires, refreshed (and the call tried once more) when WeCom says it is invalid or expired.

Errors become the project's own: `WeComError` with WeCom's errcode; the mirror turns those
into outbox decisions (rate limits wait, the rest retry or give up).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

# 40014 invalid access_token, 42001 access_token expired, 40001 invalid credential.
TOKEN_ERRCODES = frozenset({40014, 42001, 40001})
# 45009 API call frequency over the limit, 45033 too many concurrent calls.
RATE_LIMIT_ERRCODES = frozenset({45009, 45033})
TOKEN_MARGIN_SECONDS = 300.0


class WeComError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"wecom errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeComApi:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        corp_id: str,
        secret: str,
        *,
        timeout_seconds: float = 10.0,
        now: Any = time.monotonic,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._corp_id = corp_id
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._now = now
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST `path` with the access token; one fresh-token retry on a token errcode."""
        token = await self._access_token()
        try:
            return await self._post(path, token, body)
        except WeComError as error:
            if error.errcode not in TOKEN_ERRCODES:
                raise
        return await self._post(path, await self._access_token(stale=token), body)

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self._http.post(
            f"{self._base}/{path}",
            params={"access_token": token},
            json=body,
            timeout=self._timeout,
        ) as response:
            return _checked(await response.json(content_type=None))

    async def _access_token(self, stale: str | None = None) -> str:
        async with self._token_lock:
            if self._token and self._token != stale and self._now() < self._token_until:
                return self._token
            async with self._http.get(
                f"{self._base}/gettoken",
                params={"corpid": self._corp_id, "corpsecret": self._secret},
                timeout=self._timeout,
            ) as response:
                answer = _checked(await response.json(content_type=None))
            self._token = str(answer["access_token"])
            lifetime = float(answer.get("expires_in", 7200))
            self._token_until = self._now() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)
            return self._token


def _checked(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise WeComError(-1, "answer is not a JSON object")
    errcode = int(answer.get("errcode") or 0)
    if errcode != 0:
        raise WeComError(errcode, str(answer.get("errmsg", "")))
    return answer
