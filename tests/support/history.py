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
