"""A small message bus: one handler per command; events go to listeners afterwards."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.domain.commands import Command
from bot.domain.events import Event
from bot.ports import UnitOfWork

logger = logging.getLogger(__name__)

Handler = Callable[[Any, UnitOfWork], Awaitable[Any]]
Listener = Callable[[Event], None]


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[type[Command], Handler],
        listeners: list[Listener] | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._handlers = dict(handlers)
        self._listeners = list(listeners or [])

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def handle(self, command: Command) -> Any:
        handler = self._handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler for {type(command).__name__}")
        uow = self._uow_factory()
        try:
            return await handler(command, uow)
        finally:
            for event in uow.events:
                for listener in self._listeners:
                    try:
                        listener(event)
                    except Exception:  # a broken listener must not undo a committed change
                        logger.exception("event listener failed on %r", event)
