"""A fake marketplace on 127.0.0.1 that records the signed replies Storedesk POSTs to it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class RecordedCall:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeCallbackServer:
    calls: list[RecordedCall] = field(default_factory=list)
    fail_next: int = 0
    status_when_failing: int = 503
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._record)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> web.Response:
        call = RecordedCall(request.path, dict(request.headers), await request.read())
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"error": "try later"}, status=self.status_when_failing)
        self.calls.append(call)
        return web.json_response({"ok": True})

    def __iter__(self) -> Iterator[RecordedCall]:
        return iter(self.calls)

    def idempotency_keys(self) -> set[str]:
        """Distinct replies received: what a receiver that deduplicates would keep."""
        return {call.headers.get("Idempotency-Key", "") for call in self.calls}

    def request_count(self) -> int:
        return len(self.calls)

    def arrivals(self) -> dict[str, list[float]]:
        """When each reply arrived (monotonic seconds), by idempotency key."""
        found: dict[str, list[float]] = {}
        for call in self.calls:
            found.setdefault(call.headers.get("Idempotency-Key", ""), []).append(call.at)
        return found
