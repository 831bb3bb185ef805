"""A generated support history with known answers, written as audit records.

`HistoryBuilder` advances its own clock, so every timestamp (and therefore every expected
metric) is decided by the test, not by the machine running it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.services.metrics import AuditRecord

AUTO = "storedesk:auto"


@dataclass
class HistoryBuilder:
    records: list[AuditRecord] = field(default_factory=list)
    _counter: int = 0

    def _event(
        self, at: datetime, kind: str, actor: str, store: str, conv: str | None, **payload: Any
    ) -> None:
        self.records.append(AuditRecord(at, kind, actor, store, conv, payload))

    def message_id(self) -> str:
        self._counter += 1
        return f"m{self._counter}"

    def customer_message(
        self,
        at: datetime,
        store: str,
        conv: str,
        *,
        channel: str = "web",
        new: bool = False,
        intent: str | None = None,
        sentiment: str | None = None,
        confident: bool = True,
    ) -> str:
        """Received, triaged (with intent/sentiment when given) and drafted a second later."""
        mid = self.message_id()
        self._event(
            at,
            "received",
            f"customer:{conv}",
            store,
            conv,
            message_id=mid,
            channel_account_id=channel,
            new_conversation=new,
        )
        triage: dict[str, Any] = {"message_id": mid, "language": "en", "route": "draft"}
        if intent is not None:
            triage["intent"] = intent
        if sentiment is not None:
            triage["sentiment"] = sentiment
        self._event(at + timedelta(seconds=1), "triaged", "storedesk", store, conv, **triage)
        self._event(
            at + timedelta(seconds=1),
            "drafted",
            "storedesk",
            store,
            conv,
            draft_id=f"d-{mid}",
            message_id=mid,
            confident=confident,
        )
        return mid

    def reply(
        self, at: datetime, store: str, conv: str, actor: str, draft: str | None = None
    ) -> None:
        self._event(
            at, "reply_queued", actor, store, conv, message_id=self.message_id(), draft_id=draft
        )

    def review(
        self, at: datetime, store: str, conv: str, actor: str, action: str, draft: str
    ) -> None:
        self._event(at, "reviewed", actor, store, conv, action=action, draft_id=draft)
        self.reply(at, store, conv, actor, draft)

    def event(
        self,
        at: datetime,
        kind: str,
        store: str,
        conv: str | None,
        actor: str = "storedesk",
        **payload: Any,
    ) -> None:
        self._event(at, kind, actor, store, conv, **payload)


def busy_day(day: datetime, store: str = "nw") -> HistoryBuilder:
    """Four conversations on `day` (UTC hours) whose metrics are worked out in test_metrics."""

    def at(hours: float, minutes: float = 0, seconds: float = 0) -> datetime:
        return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)

    h = HistoryBuilder()
    # A: approved after 10 min, resolved after an hour, reopened and answered in 5 min.
    a1 = h.customer_message(
        at(9), store, f"{store}-A", new=True, intent="shipping", sentiment="neutral"
    )
    h.review(at(9, 10), store, f"{store}-A", "ana", "approve", f"d-{a1}")
    h.event(at(10), "resolved", store, f"{store}-A", actor="ana")
    h.customer_message(at(13), store, f"{store}-A", intent="shipping", sentiment="positive")
    h.reply(at(13, 5), store, f"{store}-A", "ana")
    # B: sent automatically after 30 s.
    b1 = h.customer_message(
        at(10), store, f"{store}-B", new=True, intent="returns", sentiment="negative"
    )
    h.reply(at(10, 0, 30), store, f"{store}-B", AUTO, f"d-{b1}")
    # C: no confident draft, escalated, taken over, answered by hand after 20 min; SLA breach.
    c1 = h.customer_message(
        at(11), store, f"{store}-C", channel="market", new=True, intent="returns", confident=False
    )
    h.event(at(11, 5), "escalated", store, f"{store}-C", actor="ana")
    h.event(at(11, 10), "draft_discarded", store, f"{store}-C", actor="sam", draft_id=f"d-{c1}")
    h.event(at(11, 10), "taken_over", store, f"{store}-C", actor="sam")
    h.reply(at(11, 20), store, f"{store}-C", "sam")
    h.customer_message(at(11, 30), store, f"{store}-C", channel="market", intent="returns")
    h.event(at(12), "sla_breached", store, f"{store}-C")
    # D: triage said nothing about intent; edited and sent after 30 min.
    d1 = h.customer_message(at(12), store, f"{store}-D", channel="market", new=True)
    h.review(at(12, 30), store, f"{store}-D", "ana", "edit", f"d-{d1}")
    return h
