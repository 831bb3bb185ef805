"""Commands: what a surface asks the core to do, already translated from platform terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class ReceiveCustomerMessage(Command):
    channel_account_id: str
    external_id: str
    customer_external_id: str
    customer_name: str
    text: str
    sent_at: datetime | None = None
    attachments: tuple[dict[str, Any], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DraftReply(Command):
    message_id: str
    outbox_item_id: int | None = None


@dataclass(frozen=True)
class RecordDelivery(Command):
    """A connector accepted a reply; close its outbox row and tell the thread."""

    outbox_item_id: int
    message_id: str


@dataclass(frozen=True)
class RecordDeliveryFailure(Command):
    """An outbox row gave up (dead letter); the thread must show it."""

    outbox_item_id: int
    topic: str
    error: str
    message_id: str | None = None


@dataclass(frozen=True)
class ApproveDraft(Command):
    draft_id: str
    actor_id: str


@dataclass(frozen=True)
class EditAndSendDraft(Command):
    draft_id: str
    actor_id: str
    text: str


@dataclass(frozen=True)
class SummarizeConversation(Command):
    conversation_id: str
    reason: str  # "long" or "handover"
    outbox_item_id: int | None = None


@dataclass(frozen=True)
class Escalate(Command):
    conversation_id: str
    actor_id: str
    reason: str


@dataclass(frozen=True)
class TakeOver(Command):
    conversation_id: str
    actor_id: str


@dataclass(frozen=True)
class SendReply(Command):
    conversation_id: str
    actor_id: str
    text: str
    source_ref: str | None = None  # where the person wrote it, e.g. a Slack message
    # Files already stored under the media dir: {"kind", "name", "path", "size"}.
    attachments: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class AddNote(Command):
    conversation_id: str
    actor_id: str
    text: str
    source_ref: str | None = None


@dataclass(frozen=True)
class Resolve(Command):
    conversation_id: str
    actor_id: str


@dataclass(frozen=True)
class RefuseAction(Command):
    """A surface refused something before the core saw it (e.g. a press in a read-only
    channel); the refusal is evidence all the same."""

    conversation_id: str
    actor_id: str
    action: str
    reason: str


@dataclass(frozen=True)
class RetryDelivery(Command):
    outbox_id: int
    actor_id: str


@dataclass(frozen=True)
class Assign(Command):
    """Give a conversation to a team member of its store."""

    conversation_id: str
    actor_id: str
    assignee_id: str


@dataclass(frozen=True)
class Release(Command):
    """Hand a taken-over conversation back: drafting resumes with the next message."""

    conversation_id: str
    actor_id: str


@dataclass(frozen=True)
class Reopen(Command):
    """Bring a resolved conversation back to the team's queue."""

    conversation_id: str
    actor_id: str


@dataclass(frozen=True)
class ChangeStoreMode(Command):
    """Switch how much a store trusts its drafts; `mode` is checked by the core, so every
    surface gets the same answer to a typo."""

    store_id: str
    actor_id: str
    mode: str


@dataclass(frozen=True)
class ReviseCustomerMessage(Command):
    """The customer edited a message they sent (Telegram allows it): the copy follows."""

    message_id: str
    text: str


@dataclass(frozen=True)
class InviteMember(Command):
    """Invite an email address to a role over a store, a client's stores or every store."""

    actor_id: str
    email: str
    role: str
    scope: str
    scope_id: str
    valid_days: int = 7


@dataclass(frozen=True)
class AcceptInvitation(Command):
    token: str
    name: str


@dataclass(frozen=True)
class GrantByIdentity(Command):
    """Grant a role to a Slack/Telegram/email identity at once (they already sign in there)."""

    actor_id: str
    kind: str
    value: str
    name: str
    role: str
    scope: str
    scope_id: str


@dataclass(frozen=True)
class RevokeGrant(Command):
    actor_id: str
    member_id: str
    scope: str
    scope_id: str


@dataclass(frozen=True)
class ReleaseHeldDraft(Command):
    """An `assist` store's hold ran out: send the draft unless someone stepped in."""

    draft_id: str
    outbox_item_id: int | None = None


@dataclass(frozen=True)
class CancelAutoSend(Command):
    draft_id: str
    actor_id: str


@dataclass(frozen=True)
class RejectDraft(Command):
    """A reviewer turns a draft down: nothing is sent, a person answers instead."""

    draft_id: str
    actor_id: str
    reason: str


@dataclass(frozen=True)
class AddClientComment(Command):
    """A client's remark on a conversation of their store: an internal note, nothing more."""

    conversation_id: str
    actor_id: str
    text: str


@dataclass(frozen=True)
class DecideCustomerLink(Command):
    """Confirm or reject a proposed link between two customers (docs/customer-profile.md)."""

    proposal_id: str
    actor_id: str
    confirm: bool


@dataclass(frozen=True)
class ApplySlaTimer(Command):
    """The SLA timer found this conversation past a mark: remind or escalate, once."""

    conversation_id: str
