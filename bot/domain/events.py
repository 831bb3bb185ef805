"""Events the core records while handling a command; published after commit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class ConversationChanged(Event):
    store_id: str
    conversation_id: str


@dataclass(frozen=True)
class OutboxEnqueued(Event):
    topic: str
