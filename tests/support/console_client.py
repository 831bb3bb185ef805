"""Drives the console API as a signed-in member, the way the console page does."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import aiohttp

from main import RunningApp


class ConsoleClient:
    def __init__(self, app: RunningApp, member_id: str) -> None:
        self._app = app
        self.member_id = member_id
        self._http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def __aenter__(self) -> ConsoleClient:
        code = self._app.auth.sign_in_code(self.member_id)
        url = f"{self._app.base_url}/console/signin?member={self.member_id}&code={code}"
        async with self._http.get(url, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
        status, me = await self.get("/api/me")
        assert status == 200, me
        self.csrf = me["csrf_token"]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.close()

    async def get(self, path: str) -> tuple[int, Any]:
        async with self._http.get(self._app.base_url + path) as response:
            return response.status, await response.json()

    async def post(
        self, path: str, body: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        async with self._http.post(
            self._app.base_url + path, json=body or {}, headers=headers
        ) as response:
            return response.status, await response.json()

    async def wait_for_draft(self, conversation_id: str, within: float = 10.0) -> dict[str, Any]:
        """Drafting runs in the outbox worker; poll (bounded) until the draft is there."""
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            status, detail = await self.get(f"/api/conversations/{conversation_id}")
            assert status == 200, detail
            if detail["draft"] is not None:
                return detail
            await asyncio.sleep(0.05)
        raise AssertionError(f"no draft for {conversation_id} within {within}s")


async def wait_until(predicate: Any, within: float = 10.0, interval: float = 0.05) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        await asyncio.sleep(interval)
    raise AssertionError("condition not met in time")
