"""The ports: everything the services need from the outside world, as small Protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from bot.domain.catalog import ProductHit, Recommendation, RecommendationRecord
from bot.domain.customer_keys import CustomerKey, KnownKey
from bot.domain.events import Event
from bot.domain.membership import Invitation
from bot.domain.model import (
    ChannelAccount,
    Conversation,
    Customer,
    CustomerIdentity,
    Direction,
    Draft,
    Message,
    Store,
)
from bot.domain.permissions import Grant, Member, ScopeKind
from bot.domain.triage import Triage


class Clock(Protocol):
    def now(self) -> datetime: ...


# --- knowledge and drafting -------------------------------------------------------------


@dataclass(frozen=True)
class KnowledgeHit:
    article_id: str
    version: int
    title: str
    text: str
    language: str
    score: float


@dataclass(frozen=True)
class KnowledgeScope:
    """Where and when a message arrived: retrieval only sees knowledge valid for this scope.

    `campaigns` None means every campaign whose article is valid at `at` is running.
    """

    store_id: str
    brand: str
    region: str
    language: str
    at: datetime
    campaigns: frozenset[str] | None = None

    @classmethod
    def for_store(cls, store: Store, language: str, at: datetime) -> KnowledgeScope:
        return cls(store.id, store.brand, store.region, language, at)


class Retriever(Protocol):
    async def search(
        self, scope: KnowledgeScope, text: str, limit: int = 3
    ) -> list[KnowledgeHit]: ...


@dataclass(frozen=True)
class DraftRequest:
    store: Store
    customer_name: str
    text: str
    language: str
    hits: Sequence[KnowledgeHit]
    # Back-office facts looked up before drafting (variables for templates), and the
    # read-only lookup a model may call as a tool; both empty when no back office is set up.
    facts: Sequence[LookupResult] = ()
    lookup: Lookup | None = None
    entities: Mapping[str, Sequence[str]] = field(default_factory=dict)
    intent: str = ""  # triage's intent label ("" when none was classified)
    # In-stock items the recommender chose; drafters show them with their tagged links.
    recommendations: Sequence[Recommendation] = ()


@dataclass(frozen=True)
class DraftProposal:
    """A drafter's answer; `text` is None when nothing in knowledge answers the question."""

    text: str | None
    citations: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    # Reasons found while drafting that a lead must see (e.g. instructions in an order note).
    risk_flags: tuple[str, ...] = ()


class ProductSearch(Protocol):
    """Hybrid search over the catalogues of exactly `store_ids` (the filter is in the query)."""

    async def search(
        self, store_ids: Sequence[str], text: str, limit: int = 10
    ) -> list[ProductHit]: ...


class Drafter(Protocol):
    async def draft(self, request: DraftRequest) -> DraftProposal: ...


@dataclass(frozen=True)
class SummaryRequest:
    """A conversation to summarize for its thread header or a handover.

    `turns` are (direction, text) in order: "in" from the customer, "out" replies, "note"
    internal; `intents` and `entities` come from triage of the customer's messages.
    """

    store: Store
    language: str
    turns: Sequence[tuple[str, str]]
    intents: Sequence[str] = ()
    entities: Mapping[str, Sequence[str]] = field(default_factory=dict)
    reason: str = "long"  # "long" (passed the threshold) or "handover"


@dataclass(frozen=True)
class ConversationSummary:
    text: str
    language: str
    source: str  # "local" or the model's name
    note: str = ""  # why a model summary fell back to the local one


class Summarizer(Protocol):
    async def summarize(self, request: SummaryRequest) -> ConversationSummary: ...


class Triager(Protocol):
    """Language, intent, sentiment, entities, injection signals and risk of one message."""

    async def triage(
        self, store: Store, text: str, *, channel_account_id: str | None = None
    ) -> Triage: ...


# --- back-office lookups (read-only by design) -------------------------------------------


@dataclass(frozen=True)
class LookupResult:
    """What the back office said about one order; `found` is False on no match or failure.

    `fields` carries the draft variables (`order_id`, `status`, `tracking_number`,
    `tracking_url`, `carrier`, `shipped_at`, `refunded_amount`, ...), `summary` the one line
    shown in the team thread, `error` why a lookup failed (never blocks the conversation).
    """

    kind: str  # "order" | "logistics" | "after_sales"
    query: str  # the order number or email looked up
    found: bool
    source: str  # which adapter answered, for evidence
    summary: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    error: str = ""


class Lookup(Protocol):
    """Read-only back office of one store: no method may change an order."""

    async def find_order(
        self, store_id: str, *, order_number: str | None = None, email: str | None = None
    ) -> LookupResult: ...


# --- outbound ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyAttachment:
    """A file a reply carries, stored under the data dir's media storage (`path` is
    relative to it, as inbound media is)."""

    kind: str  # "photo" or "document"
    name: str
    path: str
    size: int | None = None


@dataclass(frozen=True)
class OutboundReply:
    """A reply on its way to a customer through the connector it came from."""

    idempotency_key: str
    channel_account_id: str
    conversation_id: str
    message_id: str
    customer_external_id: str
    text: str
    in_reply_to: str | None = None
    attachments: tuple[ReplyAttachment, ...] = ()  # channels that cannot carry files skip them


class DeliveryError(Exception):
    """A connector could not deliver; `permanent` ones are not retried."""

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after  # the platform said when to come back (HTTP 429)


class CustomerChannel(Protocol):
    async def send(self, reply: OutboundReply) -> None: ...


@runtime_checkable
class DeliveryReconciler(Protocol):
    """A channel that can ask its platform whether an interrupted send went through."""

    async def already_delivered(self, reply: OutboundReply) -> bool: ...


@runtime_checkable
class IdempotentChannel(Protocol):
    """A channel whose receiver drops a repeated idempotency key, so a resend is harmless."""

    idempotent_resend: bool


# --- storage ----------------------------------------------------------------------------


@dataclass
class OutboxItem:
    id: int
    key: str
    topic: str
    target: str
    payload: dict[str, Any]
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    store_id: str | None = None
    conversation_id: str | None = None
    updated_at: datetime | None = None
    # Claimed again after a worker died holding it: the platform call may already have
    # happened, so a send must be reconciled, not blindly repeated.
    in_doubt: bool = False


class Memberships(Protocol):
    """Who belongs to the team: grants by scope, workspace identities, invitations."""

    async def stores_in(self, scope: ScopeKind, scope_id: str) -> list[str]: ...
    async def put_grant(self, grant: Grant, *, source: str, granted_by: str | None) -> None: ...
    async def remove_grant(self, grant: Grant) -> bool: ...
    async def ensure_member(self, member_id: str, name: str) -> None: ...
    async def member_ids(self) -> set[str]: ...
    async def member_for_identity(self, kind: str, value: str) -> str | None: ...
    async def link_identity(self, member_id: str, kind: str, value: str) -> None: ...
    async def add_invitation(self, invitation: Invitation) -> None: ...
    async def invitation_by_hash(self, token_hash: str) -> Invitation | None: ...
    async def mark_accepted(self, invitation_id: str, member_id: str, at: datetime) -> bool: ...


class Repository(Protocol):
    """What the services read and write; one implementation per storage engine."""

    async def get_store(self, store_id: str) -> Store | None: ...
    async def get_account(self, account_id: str) -> ChannelAccount | None: ...
    async def get_member(self, member_id: str) -> Member | None: ...
    async def find_identity(self, account_id: str, external_id: str) -> CustomerIdentity | None: ...
    async def get_customer(self, customer_id: str) -> Customer | None: ...
    async def identity_of(self, customer_id: str, account_id: str) -> CustomerIdentity | None: ...
    async def find_open_conversation(
        self, store_id: str, account_id: str, customer_id: str
    ) -> Conversation | None: ...
    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...
    async def get_message(self, message_id: str) -> Message | None: ...
    async def get_draft(self, draft_id: str) -> Draft | None: ...
    async def pending_drafts(self, conversation_id: str) -> list[Draft]: ...
    async def conversation_messages(self, conversation_id: str) -> list[Message]: ...
    async def count_messages(self, conversation_id: str, direction: Direction) -> int: ...
    async def message_has_draft(self, message_id: str) -> bool: ...
    async def lock_customer(self, account_id: str, external_id: str) -> None: ...
    async def claim_inbound(self, account_id: str, external_id: str) -> bool: ...
    async def get_outbox_item(self, item_id: int) -> OutboxItem | None: ...
    async def revive_outbox_item(self, item_id: int) -> bool: ...
    async def claim_outbox(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[OutboxItem]: ...
    async def extend_outbox_lease(
        self, worker_id: str, item_ids: list[int], lease_seconds: float
    ) -> int: ...
    async def reschedule_outbox(
        self, item_id: int, at: datetime, error: str | None, *, count_attempt: bool
    ) -> None: ...
    async def kill_outbox(self, item_id: int, error: str) -> None: ...
    async def store_members(self, store_id: str) -> list[Member]: ...
    async def open_assignment_counts(self, member_ids: Sequence[str]) -> dict[str, int]: ...
    async def claim_sla_mark(self, conversation_id: str, message_id: str, stage: str) -> bool: ...
    def add(self, entity: object) -> None: ...


@dataclass(frozen=True)
class LinkProposal:
    id: str
    scope: str
    customer_id: str
    other_customer_id: str
    reason: str
    status: str  # "pending" | "confirmed" | "rejected"


class CustomerLinks(Protocol):
    """Contact keys and link proposals of customers (docs/customer-profile.md)."""

    async def lock_keys(self, scope: str, keys: Sequence[CustomerKey]) -> None: ...
    async def known_keys(
        self, scope: str, keys: Sequence[CustomerKey], *, exclude: str
    ) -> list[KnownKey]: ...
    async def add_keys(
        self, scope: str, customer_id: str, identity_id: str | None, keys: Sequence[CustomerKey]
    ) -> None: ...
    async def merge(self, survivor_id: str, absorbed_id: str) -> None: ...
    async def propose(self, scope: str, customer_id: str, other_id: str, reason: str) -> bool: ...
    async def get_proposal(self, proposal_id: str) -> LinkProposal | None: ...
    async def decide(self, proposal_id: str, status: str, actor_id: str) -> None: ...
    async def customer_stores(self, customer_id: str) -> list[str]: ...


class UnitOfWork(Protocol):
    """One transaction: state changes, outbox rows and audit events commit together."""

    repo: Repository
    memberships: Memberships
    links: CustomerLinks
    events: list[Event]

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def reading(self) -> AbstractAsyncContextManager[Repository]: ...
    async def audit(
        self,
        kind: str,
        *,
        actor: str,
        store_id: str | None,
        conversation_id: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None: ...
    async def enqueue(
        self,
        topic: str,
        *,
        key: str,
        target: str,
        payload: dict[str, Any],
        store_id: str | None = None,
        conversation_id: str | None = None,
        delay_seconds: float = 0.0,
    ) -> None: ...
    async def outbox_done(self, item_id: int) -> None: ...
    def record(self, event: Event) -> None: ...


# --- sales ------------------------------------------------------------------------------


class SalesLedger(Protocol):
    """Reads attribution needs: recommendations by tag or by customer, and who replied."""

    async def recommendations_by_tag(self, tags: Sequence[str]) -> list[RecommendationRecord]: ...
    async def recommendations_for_contacts(
        self, store_ids: Sequence[str], contacts: Sequence[str], since: datetime
    ) -> list[RecommendationRecord]: ...
    async def reply_author(self, conversation_id: str, before: datetime) -> str | None: ...
    async def attributed(self, store_id: str, order_id: str) -> bool: ...


# --- digests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestImage:
    filename: str
    title: str
    png: bytes


@dataclass(frozen=True)
class Digest:
    """One period's report for one subscription; `key` is subscription + period."""

    key: str
    title: str
    markdown: str
    images: Sequence[DigestImage] = ()


class DigestTarget(Protocol):
    """Where a digest goes (a Slack channel, a Telegram chat, a directory, the console).

    `deliver` may be called again for the same key after a crash: a target that can check
    what it already delivered (Slack message metadata) completes the delivery instead of
    repeating it."""

    async def deliver(self, digest: Digest) -> None: ...


class DigestProgress(Protocol):
    """Which parts of a digest a target has already delivered (per run key).

    Targets that cannot ask the platform what they sent (Telegram, email) record each part
    as soon as it is out, so a run taken over after a crash sends only what is missing."""

    async def delivered(self, key: str) -> set[str]: ...

    async def mark(self, key: str, part: str, ref: str | None = None) -> None: ...
