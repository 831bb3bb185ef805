"""Service-level targets: how long a customer has waited on the team, and what is due.

Pure functions, so the timer job, the review queue and a thread header all read the same
answer. A waiting period starts at the first customer message after the team's last reply
(or the first message of the conversation) and ends with the next reply queued to the
customer. Before any reply the first-response target applies, afterwards the next-response
target.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.domain.model import ConversationStatus, Direction, Message


@dataclass(frozen=True)
class SlaPolicy:
    first_response_seconds: float
    next_response_seconds: float
    reminder_seconds: float

    def target(self, first: bool) -> float:
        return self.first_response_seconds if first else self.next_response_seconds


class SlaClock(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"


class SlaStage(StrEnum):
    OK = "ok"
    REMINDER = "reminder"  # past the reminder mark, before the target
    BREACHED = "breached"


@dataclass(frozen=True)
class WaitingPeriod:
    """The customer message that started the wait, and whether the team had replied before."""

    message_id: str
    since: datetime
    first: bool


@dataclass(frozen=True)
class SlaState:
    clock: SlaClock
    message_id: str
    since: datetime
    age_seconds: float
    target_seconds: float
    reminder_at: datetime
    due_at: datetime
    stage: SlaStage

    @property
    def remaining_seconds(self) -> float:
        """Negative once breached: how late the response is."""
        return self.target_seconds - self.age_seconds


def waiting_period(messages: Sequence[Message]) -> WaitingPeriod | None:
    """The current wait of a conversation's messages (any order), or None if answered."""
    ordered = sorted(messages, key=lambda m: (m.created_at, m.id))
    replies = [m for m in ordered if m.direction == Direction.OUT]
    last_reply = replies[-1].created_at if replies else None
    for message in ordered:
        if message.direction != Direction.IN:
            continue
        if last_reply is None or message.created_at > last_reply:
            return WaitingPeriod(message.id, message.created_at, first=not replies)
    return None


def sla_state(period: WaitingPeriod, policy: SlaPolicy, now: datetime) -> SlaState:
    target = policy.target(period.first)
    age = max(0.0, (now - period.since).total_seconds())
    if age >= target:
        stage = SlaStage.BREACHED
    elif age >= policy.reminder_seconds:
        stage = SlaStage.REMINDER
    else:
        stage = SlaStage.OK
    return SlaState(
        clock=SlaClock.FIRST_RESPONSE if period.first else SlaClock.NEXT_RESPONSE,
        message_id=period.message_id,
        since=period.since,
        age_seconds=age,
        target_seconds=target,
        reminder_at=period.since + timedelta(seconds=policy.reminder_seconds),
        due_at=period.since + timedelta(seconds=target),
        stage=stage,
    )


def conversation_sla(
    status: ConversationStatus, messages: Sequence[Message], policy: SlaPolicy, now: datetime
) -> SlaState | None:
    """SLA age and stage of one conversation; None when it is not waiting on the team."""
    if status == ConversationStatus.RESOLVED:
        return None
    period = waiting_period(messages)
    return None if period is None else sla_state(period, policy, now)


def duration_words(seconds: float) -> str:
    """`45 s`, `2 min`, `1 h 30 min`: short enough for a thread line."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        rest = seconds % 60
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def reminder_sentence(payload: Mapping[str, Any]) -> str:
    """How every surface words an `sla_reminder` event's payload."""
    waited = duration_words(float(payload.get("waited_seconds") or 0))
    target = duration_words(float(payload.get("target_seconds") or 0))
    what = "first response" if payload.get("clock") == SlaClock.FIRST_RESPONSE else "next response"
    return f"the customer has waited {waited} for a {what} (target {target})"
