"""Long polling for a bot without a public URL: bounded waits, stoppable, never hot-looping.

The offset only moves past an update once it was handled, so a failure (database down) is
retried from Telegram's queue after a pause instead of being lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)

GetUpdates = Callable[[int | None, float], Awaitable[Sequence[Any]]]
Handle = Callable[[Any], Awaitable[None]]


async def poll(
    name: str,
    get_updates: GetUpdates,
    handle: Handle,
    update_id: Callable[[Any], int],
    stop: asyncio.Event,
    *,
    poll_seconds: float,
    max_backoff: float = 30.0,
) -> None:
    offset: int | None = None
    backoff = 0.5
    while not stop.is_set():
        try:
            updates = await _until_stopped(get_updates(offset, poll_seconds), stop)
            if updates is None:
                return
            for update in updates:
                await handle(update)
                offset = update_id(update) + 1
            backoff = 0.5
        except asyncio.CancelledError:
            raise
        except Exception as problem:
            logger.warning("telegram polling for %s failed: %r; retrying", name, problem)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            backoff = min(max_backoff, backoff * 2)


async def _until_stopped(
    work: Awaitable[Sequence[Any]], stop: asyncio.Event
) -> Sequence[Any] | None:
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return None
    return task.result()
