"""Entities of a support conversation: plain dataclasses, persisted by `storage`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


def new_id() -> str:
    return uuid.uuid4().hex


class StoreMode(StrEnum):
    PILOT = "pilot"
    DRAFT = "draft"
    ASSIST = "assist"
    AUTO = "auto"


class ConversationStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"
    REVIEW = "review"
    ESCALATED = "escalated"
    TAKEN_OVER = "taken_over"
    RESOLVED = "resolved"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


class Route(StrEnum):
    """Who must act before a reply reaches the customer."""

    AUTO = "auto"
    DRAFT = "draft"
    REVIEW = "review"
    TAKEOVER = "takeover"


class DraftStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DISCARDED = "discarded"


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


@dataclass(eq=False)
class Store:
    id: str
    name: str
    brand: str
    region: str
    languages: list[str]
    timezone: str
    mode: StoreMode
    client_id: str | None = None
    tone: dict[str, dict[str, str]] = field(default_factory=dict)

    def greeting(self, language: str, customer_name: str) -> str:
        template = self._tone_for(language).get("greeting", "")
        return template.replace("{name}", customer_name).strip()

    def signoff(self, language: str) -> str:
        return self._tone_for(language).get("signoff", "").strip()

    def _tone_for(self, language: str) -> dict[str, str]:
        if language in self.tone:
            return self.tone[language]
        first = self.languages[0] if self.languages else ""
        return self.tone.get(first, {})


@dataclass(eq=False)
class ChannelAccount:
    id: str
    store_id: str
    kind: str


@dataclass(eq=False)
class Customer:
    id: str
    display_name: str
    created_at: datetime
    merged_into: str | None = None
    erased_at: datetime | None = None


@dataclass(eq=False)
class CustomerIdentity:
    """How one channel account knows a customer; a customer may have many."""

    id: str
    customer_id: str
    channel_account_id: str
    external_id: str


@dataclass(eq=False)
class Conversation:
    id: str
    store_id: str
    channel_account_id: str
    customer_id: str
    status: ConversationStatus
    opened_at: datetime
    updated_at: datetime
    review_required: bool = False
    assignee_id: str | None = None
    resolved_at: datetime | None = None
    # The latest summary for the thread header and handovers, and how many customer
    # messages it covers.
    summary: str | None = None
    summary_messages: int | None = None
    summarized_at: datetime | None = None
    erased_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status != ConversationStatus.RESOLVED


@dataclass(eq=False)
class Message:
    id: str
    conversation_id: str
    direction: Direction
    text: str
    created_at: datetime
    external_id: str | None = None
    channel_account_id: str | None = None
    author_id: str | None = None
    delivery_status: DeliveryStatus | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class Draft:
    """A proposed reply to one inbound message, with what it stands on."""

    id: str
    conversation_id: str
    message_id: str
    text: str
    language: str
    route: Route
    status: DraftStatus
    created_at: datetime
    confident: bool = True
    citations: list[dict[str, Any]] = field(default_factory=list)
    risk_reasons: list[str] = field(default_factory=list)
    note: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    reply_message_id: str | None = None


@dataclass(eq=False)
class ReviewAction:
    """Evidence of a person's decision on a draft or conversation."""

    id: str
    conversation_id: str
    actor_id: str
    action: str
    at: datetime
    draft_id: str | None = None
    before: str | None = None
    after: str | None = None
    reason: str | None = None
