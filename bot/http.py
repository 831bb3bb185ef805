"""The one aiohttp application; each adapter contributes its own routes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from bot.domain.errors import DomainError, InvalidInput, InvalidState, NotAuthorized, NotFound
from bot.domain.text import is_valid_unicode

logger = logging.getLogger(__name__)

RouteContributor = Callable[[web.Application], None]
HandlerFn = Callable[[web.Request], Awaitable[web.StreamResponse]]

SSE_HEARTBEAT_SECONDS = 15.0
_STATUS_OF: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (NotAuthorized, 403),
    (InvalidState, 409),
    (InvalidInput, 400),
]


def json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def domain_errors(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
    """Domain errors become JSON replies with the status a client can act on."""
    try:
        return await handler(request)
    except DomainError as error:
        status = next((code for kind, code in _STATUS_OF if isinstance(error, kind)), 400)
        return json_error(status, str(error))


@web.middleware
async def security_headers(request: web.Request, handler: HandlerFn) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    )
    return response


def create_app(contributors: Iterable[RouteContributor]) -> web.Application:
    app = web.Application(middlewares=[security_headers, domain_errors], client_max_size=1024**2)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", health)
    for contribute in contributors:
        contribute(app)
    return app


async def read_body_capped(request: web.Request, limit: int) -> bytes | None:
    """The whole raw body (signatures cover all of it), or None as soon as it passes `limit`.

    A single `content.read(n)` returns whatever has arrived so far, which for a large body
    is only its first part: reading until EOF is what makes the signature check fair.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Parse a JSON object body or raise InvalidInput naming what is wrong."""
    if request.content_type != "application/json":
        raise InvalidInput("body: Content-Type must be application/json")
    try:
        value = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("body: malformed JSON") from None
    except RecursionError:
        raise InvalidInput("body: JSON nested too deeply") from None
    if not isinstance(value, dict):
        raise InvalidInput("body: must be a JSON object")
    return value


def text_field(body: dict[str, Any], name: str, *, max_length: int, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(f"{name}: required, a non-empty string")
    if len(value) > max_length:
        raise InvalidInput(f"{name}: longer than {max_length} characters")
    if not is_valid_unicode(value):
        raise InvalidInput(f"{name}: contains invalid Unicode (lone surrogate)")
    return value


async def event_stream(
    request: web.Request,
    changes: asyncio.Queue[Any],
    wanted: Callable[[Any], Awaitable[bool]],
    stop: asyncio.Event,
) -> web.StreamResponse:
    """Server-sent events: `changed` for each wanted change, a comment as heartbeat."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    await response.write(b": connected\n\n")
    with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
        while not stop.is_set():
            try:
                change = await asyncio.wait_for(changes.get(), timeout=SSE_HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(b": heartbeat\n\n")
                continue
            if await wanted(change):
                data = json.dumps(
                    {"store_id": change.store_id, "conversation_id": change.conversation_id}
                )
                await response.write(f"event: changed\ndata: {data}\n\n".encode())
    return response
