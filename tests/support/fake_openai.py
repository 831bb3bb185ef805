"""A fake OpenAI-compatible API on 127.0.0.1 for the real `openai` client (via `base_url`).

It answers chat completions (plain or streamed as server-sent events, with tool calls) and
embeddings (floats or base64, as the client asks), plays scripted failures (429 with
Retry-After, slow answers, malformed bodies), records every request and checks its shape the
way the API documents it: a model, messages with known roles, tool results that answer a
tool call the assistant made, and tools declared as JSON-schema functions.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ROLES = {"system", "user", "assistant", "tool", "developer"}


@dataclass
class Reply:
    """One scripted answer; the next request gets the next reply (the last one repeats)."""

    content: str = ""
    tool_calls: list[tuple[str, dict[str, Any] | str]] = field(default_factory=list)
    status: int = 200
    retry_after: float | None = None
    delay: float = 0.0
    raw: str | None = None  # a body sent as-is (malformed on purpose)


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._runner: web.AppRunner | None = None
        self.url = ""
        self._calls = 0

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/v1"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- chat completions -------------------------------------------------------------

    def _next(self) -> Reply:
        reply = self.replies[min(self._calls, len(self.replies) - 1)] if self.replies else Reply()
        self._calls += 1
        return reply

    def _check_chat(self, body: dict[str, Any], auth: str) -> None:
        if not auth.startswith("Bearer "):
            self.problems.append("no bearer token")
        if not isinstance(body.get("model"), str) or not body["model"]:
            self.problems.append("model missing")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self.problems.append("messages missing")
            return
        issued: set[str] = set()
        for message in messages:
            if message.get("role") not in ROLES:
                self.problems.append(f"unknown role {message.get('role')!r}")
            for call in message.get("tool_calls") or []:
                issued.add(call.get("id", ""))
                if call.get("type") != "function" or "name" not in call.get("function", {}):
                    self.problems.append("assistant tool call without a function name")
            if message.get("role") == "tool" and message.get("tool_call_id") not in issued:
                self.problems.append("tool result answers no tool call")
        for tool in body.get("tools") or []:
            function = tool.get("function", {})
            if (
                tool.get("type") != "function"
                or function.get("parameters", {}).get("type") != "object"
            ):
                self.problems.append("tool is not a JSON-schema function")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self._check_chat(body, request.headers.get("Authorization", ""))
        reply = self._next()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after else {}
            error = {"error": {"message": "rate limited", "type": "rate_limit", "code": None}}
            return web.json_response(error, status=reply.status, headers=headers)
        if reply.raw is not None and not body.get("stream"):
            return web.Response(text=reply.raw, content_type="application/json")
        calls = [
            {
                "id": f"call_{self._calls}_{i}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
        if body.get("stream"):
            return await self._stream(request, body, reply, calls)
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        if calls:
            message["tool_calls"] = calls
        return web.json_response(
            {
                "id": f"chatcmpl-{self._calls}",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def _stream(
        self, request: web.Request, body: dict[str, Any], reply: Reply, calls: list[dict[str, Any]]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": f"chatcmpl-{self._calls}",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        if reply.raw is not None:
            await response.write(f"data: {reply.raw}\n\n".encode())
        await send({"role": "assistant", "content": ""})
        text = reply.content
        for start in range(0, len(text), 7):  # small pieces, as models stream
            await send({"content": text[start : start + 7]})
        for index, call in enumerate(calls):
            arguments = call["function"]["arguments"]
            head = {"index": index, "id": call["id"], "type": "function"}
            await send({"tool_calls": [{**head, "function": {"name": call["function"]["name"]}}]})
            for start in range(0, len(arguments), 5):
                piece = {"index": index, "function": {"arguments": arguments[start : start + 5]}}
                await send({"tool_calls": [piece]})
        await send({}, "tool_calls" if calls else "stop")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    # --- embeddings -------------------------------------------------------------------

    async def _embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        inputs = body.get("input")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
        if not texts or not all(isinstance(t, str) for t in texts):
            self.problems.append("embeddings input must be a string or a list of strings")
        dimensions = body.get("dimensions")
        if dimensions is not None and (not isinstance(dimensions, int) or dimensions < 1):
            self.problems.append("embeddings dimensions must be a positive integer")
        data = []
        for i, text in enumerate(texts):
            vector = _vector(str(text), dimensions if isinstance(dimensions, int) else 8)
            if body.get("encoding_format") == "base64":
                packed = struct.pack(f"<{len(vector)}f", *vector)
                embedding: Any = base64.b64encode(packed).decode()
            else:
                embedding = vector
            data.append({"object": "embedding", "index": i, "embedding": embedding})
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", ""),
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )


@asynccontextmanager
async def running_fake_openai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _vector(text: str, dim: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    while len(digest) < dim:  # as many dimensions as asked for, still deterministic
        digest += hashlib.sha256(digest).digest()
    return [b / 255 for b in digest[:dim]]
