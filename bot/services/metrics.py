"""Support metrics derived from the audit events alone, so nothing is written twice.

The audit chain already says when each message arrived, who answered it and how: metrics
are a reading of it. `derive_facts` turns the events of some conversations into atomic
facts (one per measured thing, each tagged with store, client, channel, intent, agent and
the local day in the store's timezone); `summarize` folds any subset of facts into a
`MetricSet`; `breakdown` groups facts by one dimension first.

Definitions (every measure counts on the day its event happened, in the store's timezone):
- conversations: conversations opened (their first message arrived);
- messages in / out: customer messages received / replies queued to the customer;
- first response time: from the first customer message of an episode (a conversation, or a
  reopening after it was resolved) to the first reply queued after it;
- resolution time: from the start of that episode to its resolution;
- auto-reply rate: replies sent by Storedesk itself / all replies;
- draft acceptance: drafts that went out (approved, edited or auto-sent) / drafts decided
  (those plus drafts discarded);
- review pass rate: drafts approved unchanged / drafts a person reviewed (approved, edited
  or rejected);
- edit rate: drafts edited before sending / drafts a person reviewed;
- escalation and takeover rates: active conversations escalated / taken over at least once,
  over active conversations (those with any counted fact);
- SLA breaches: `sla_breached` events;
- intent and sentiment mix: per customer message, from its `triaged` event ("unknown" when
  triage did not say).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

AUTO_ACTOR = "storedesk:auto"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class AuditRecord:
    """One audit event as metrics need it."""

    at: datetime
    kind: str
    actor: str
    store_id: str | None
    conversation_id: str | None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreInfo:
    id: str
    name: str
    timezone: str = "UTC"
    client_id: str | None = None


class FactKind(StrEnum):
    OPENED = "opened"
    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    AUTO_REPLY = "auto_reply"
    FIRST_RESPONSE = "first_response"
    RESOLVED = "resolved"
    DRAFT = "draft"
    UNSURE_DRAFT = "unsure_draft"
    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"
    AUTO_SENT_DRAFT = "auto_sent_draft"
    DISCARDED = "discarded"
    ESCALATED = "escalated"
    TAKEN_OVER = "taken_over"
    SLA_BREACH = "sla_breach"


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    at: datetime
    store_id: str
    client_id: str
    channel: str
    intent: str
    agent: str  # "" when no team member acted
    day: date  # local to the store
    conversation_id: str
    value: float = 1.0  # seconds, for the two durations
    sentiment: str = UNKNOWN
    message_id: str = ""  # the customer message behind MESSAGE_IN and UNSURE_DRAFT facts


def _is_person(actor: str) -> bool:
    return bool(actor) and not actor.startswith(("storedesk", "customer:"))


@dataclass
class _Thread:
    """What one conversation has shown so far while walking its events in order."""

    channel: str = UNKNOWN
    intent: str | None = None
    episode_start: datetime | None = None
    answered: bool = False


def derive_facts(records: Iterable[AuditRecord], stores: Mapping[str, StoreInfo]) -> list[Fact]:
    """Facts of every event of known stores; callers filter them to a period."""
    ordered = sorted(records, key=lambda r: r.at)
    triage: dict[str, tuple[str, str]] = {}
    first_intent: dict[str, str] = {}
    for record in ordered:
        if record.kind == "triaged":
            intent = str(record.payload.get("intent") or UNKNOWN)
            sentiment = str(record.payload.get("sentiment") or UNKNOWN)
            triage[str(record.payload.get("message_id", ""))] = (intent, sentiment)
            if record.conversation_id:
                first_intent.setdefault(record.conversation_id, intent)

    threads: dict[str, _Thread] = {}
    zones: dict[str, ZoneInfo] = {}
    facts: list[Fact] = []
    for record in ordered:
        store = stores.get(record.store_id or "")
        if store is None:
            continue
        zone = zones.setdefault(store.id, ZoneInfo(store.timezone))
        conversation = record.conversation_id or ""
        thread = threads.setdefault(conversation, _Thread())
        if record.kind == "received":
            thread.channel = str(record.payload.get("channel_account_id") or thread.channel)
        if record.kind == "triaged":
            thread.intent = triage[str(record.payload.get("message_id", ""))][0]

        base: dict[str, Any] = {
            "at": record.at,
            "store_id": store.id,
            "client_id": store.client_id or "",
            "channel": thread.channel,
            "intent": thread.intent or first_intent.get(conversation, UNKNOWN),
            "day": record.at.astimezone(zone).date(),
            "conversation_id": conversation,
        }
        fact = partial(_make_fact, base)
        facts.extend(_facts_of(record, thread, triage, fact))
    return facts


def _make_fact(base: dict[str, Any], kind: FactKind, agent: str = "", **extra: Any) -> Fact:
    return Fact(**{**base, "kind": kind, "agent": agent if _is_person(agent) else "", **extra})


def _facts_of(
    record: AuditRecord,
    thread: _Thread,
    triage: Mapping[str, tuple[str, str]],
    fact: Callable[..., Fact],
) -> list[Fact]:
    kind, actor, payload = record.kind, record.actor, record.payload
    if kind == "received":
        message_id = str(payload.get("message_id", ""))
        intent, sentiment = triage.get(message_id, (UNKNOWN, UNKNOWN))
        out = [fact(FactKind.MESSAGE_IN, intent=intent, sentiment=sentiment, message_id=message_id)]
        if thread.episode_start is None:
            thread.episode_start, thread.answered = record.at, False
            if payload.get("new_conversation"):
                out.append(fact(FactKind.OPENED, intent=intent))
        return out
    if kind == "reply_queued":
        out = [fact(FactKind.MESSAGE_OUT, actor)]
        if actor == AUTO_ACTOR:
            out.append(fact(FactKind.AUTO_REPLY))
            if payload.get("draft_id"):
                out.append(fact(FactKind.AUTO_SENT_DRAFT))
        if thread.episode_start is not None and not thread.answered:
            thread.answered = True
            waited = (record.at - thread.episode_start).total_seconds()
            out.append(fact(FactKind.FIRST_RESPONSE, actor, value=waited))
        return out
    if kind == "resolved":
        out = []
        if thread.episode_start is not None:
            took = (record.at - thread.episode_start).total_seconds()
            out.append(fact(FactKind.RESOLVED, actor, value=took))
        thread.episode_start = None
        return out
    if kind == "drafted":
        out = [fact(FactKind.DRAFT)]
        if payload.get("confident") is False:
            message_id = str(payload.get("message_id", ""))
            out.append(fact(FactKind.UNSURE_DRAFT, message_id=message_id))
        return out
    if kind == "reviewed":
        action = payload.get("action")
        if action == "approve":
            return [fact(FactKind.APPROVED, actor)]
        if action == "edit":
            return [fact(FactKind.EDITED, actor)]
        if action == "reject":
            return [fact(FactKind.REJECTED, actor)]
        return []
    simple = {
        "draft_discarded": FactKind.DISCARDED,
        "escalated": FactKind.ESCALATED,
        "taken_over": FactKind.TAKEN_OVER,
        "sla_breached": FactKind.SLA_BREACH,
    }
    if kind in simple:
        return [fact(simple[kind], actor)]
    return []


def in_period(facts: Iterable[Fact], start: datetime, end: datetime) -> list[Fact]:
    return [f for f in facts if start <= f.at < end]


# --- folding facts into numbers ------------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile (nearest rank) of some durations, in seconds."""

    count: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Durations:
        if not values:
            return cls()
        ordered = sorted(values)
        rank = max(1, math.ceil(0.9 * len(ordered)))
        return cls(len(ordered), float(statistics.median(ordered)), ordered[rank - 1])


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class MetricSet:
    conversations: int = 0
    active_conversations: int = 0
    messages_in: int = 0
    messages_out: int = 0
    auto_replies: int = 0
    first_response: Durations = Durations()
    resolution: Durations = Durations()
    drafts: int = 0
    unsure_drafts: int = 0
    approved: int = 0
    edited: int = 0
    rejected: int = 0
    auto_sent_drafts: int = 0
    discarded: int = 0
    escalated_conversations: int = 0
    taken_over_conversations: int = 0
    sla_breaches: int = 0
    intents: dict[str, int] = field(default_factory=dict)
    sentiments: dict[str, int] = field(default_factory=dict)

    @property
    def auto_reply_rate(self) -> float | None:
        return _rate(self.auto_replies, self.messages_out)

    @property
    def draft_acceptance_rate(self) -> float | None:
        sent = self.approved + self.edited + self.auto_sent_drafts
        return _rate(sent, sent + self.discarded)

    @property
    def reviewed(self) -> int:
        return self.approved + self.edited + self.rejected

    @property
    def review_pass_rate(self) -> float | None:
        return _rate(self.approved, self.reviewed)

    @property
    def edit_rate(self) -> float | None:
        return _rate(self.edited, self.reviewed)

    @property
    def escalation_rate(self) -> float | None:
        return _rate(self.escalated_conversations, self.active_conversations)

    @property
    def takeover_rate(self) -> float | None:
        return _rate(self.taken_over_conversations, self.active_conversations)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for the console and the Markdown digest."""
        plain = {
            name: getattr(self, name)
            for name in (
                "conversations",
                "active_conversations",
                "messages_in",
                "messages_out",
                "auto_replies",
                "drafts",
                "unsure_drafts",
                "approved",
                "edited",
                "rejected",
                "auto_sent_drafts",
                "discarded",
                "escalated_conversations",
                "taken_over_conversations",
                "sla_breaches",
                "auto_reply_rate",
                "draft_acceptance_rate",
                "review_pass_rate",
                "edit_rate",
                "escalation_rate",
                "takeover_rate",
            )
        }
        for name in ("first_response", "resolution"):
            value: Durations = getattr(self, name)
            plain[name] = {"count": value.count, "median": value.median, "p90": value.p90}
        plain["intents"] = dict(self.intents)
        plain["sentiments"] = dict(self.sentiments)
        return plain


def summarize(facts: Iterable[Fact]) -> MetricSet:
    facts = list(facts)
    count = Counter(f.kind for f in facts)

    def conversations_with(kind: FactKind) -> int:
        return len({f.conversation_id for f in facts if f.kind == kind})

    inbound = [f for f in facts if f.kind == FactKind.MESSAGE_IN]
    return MetricSet(
        conversations=conversations_with(FactKind.OPENED),
        active_conversations=len({f.conversation_id for f in facts if f.conversation_id}),
        messages_in=count[FactKind.MESSAGE_IN],
        messages_out=count[FactKind.MESSAGE_OUT],
        auto_replies=count[FactKind.AUTO_REPLY],
        first_response=Durations.of([f.value for f in facts if f.kind == FactKind.FIRST_RESPONSE]),
        resolution=Durations.of([f.value for f in facts if f.kind == FactKind.RESOLVED]),
        drafts=count[FactKind.DRAFT],
        unsure_drafts=count[FactKind.UNSURE_DRAFT],
        approved=count[FactKind.APPROVED],
        edited=count[FactKind.EDITED],
        rejected=count[FactKind.REJECTED],
        auto_sent_drafts=count[FactKind.AUTO_SENT_DRAFT],
        discarded=count[FactKind.DISCARDED],
        escalated_conversations=conversations_with(FactKind.ESCALATED),
        taken_over_conversations=conversations_with(FactKind.TAKEN_OVER),
        sla_breaches=count[FactKind.SLA_BREACH],
        intents=dict(Counter(f.intent for f in inbound).most_common()),
        sentiments=dict(Counter(f.sentiment for f in inbound).most_common()),
    )


class Dimension(StrEnum):
    STORE = "store"
    CLIENT = "client"
    CHANNEL = "channel"
    INTENT = "intent"
    AGENT = "agent"
    DAY = "day"


def _key(fact: Fact, dimension: Dimension) -> str:
    if dimension == Dimension.STORE:
        return fact.store_id
    if dimension == Dimension.CLIENT:
        return fact.client_id
    if dimension == Dimension.CHANNEL:
        return fact.channel
    if dimension == Dimension.INTENT:
        return fact.intent
    if dimension == Dimension.AGENT:
        return fact.agent
    return fact.day.isoformat()


def breakdown(facts: Iterable[Fact], dimension: Dimension) -> dict[str, MetricSet]:
    """One MetricSet per value of the dimension, sorted by key; facts without one are left
    out (events of no team member have no agent, stores of no client no client)."""
    groups: dict[str, list[Fact]] = {}
    for fact in facts:
        key = _key(fact, dimension)
        if key:
            groups.setdefault(key, []).append(fact)
    return {key: summarize(groups[key]) for key in sorted(groups)}


def question_ids(facts: Iterable[Fact]) -> tuple[list[str], list[str]]:
    """Customer messages asked, and those whose draft found no confident answer."""
    asked, unanswered = [], []
    for fact in facts:
        if fact.kind == FactKind.MESSAGE_IN and fact.message_id:
            asked.append(fact.message_id)
        elif fact.kind == FactKind.UNSURE_DRAFT and fact.message_id:
            unanswered.append(fact.message_id)
    return asked, unanswered
