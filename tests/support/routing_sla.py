"""A store set up for routing and SLA tests: a team, declared languages and skills, rules,
and SLA targets; plus a triager that reads its answer from the message (`lang:de
intent:refund_request ...`) so a test says exactly what triage found."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.model import Store
from bot.domain.triage import IntentGuess, Triage, triage_text

SLA = {"first_response_seconds": 120, "next_response_seconds": 300, "reminder_seconds": 30}


class MovableClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def add_routing_and_sla(config: dict[str, Any]) -> None:
    """Northwind: agents ana (en) and bo (de, en; refunds), lead sam; li is in the team but
    has no role in northwind."""
    config["members"].append({"id": "bo", "name": "Bo Agent"})
    for member in config["members"]:
        if member["id"] == "ana":
            member["languages"] = ["en"]
        if member["id"] == "bo":
            member.update(languages=["de", "en"], skills=["refunds"])
    config["teams"] = [{"id": "frontline", "members": ["li", "ana", "bo"]}]
    northwind = config["stores"][0]
    northwind["members"]["bo"] = "agent"
    northwind["routing"] = {
        "rules": [
            {"name": "french", "languages": ["fr"], "member": "li"},
            {"name": "refunds", "intents": ["refund_request"], "skills": ["refunds"]},
            {"name": "german", "languages": ["de"], "team": "frontline"},
            {"name": "english", "languages": ["en"], "team": "frontline"},
        ]
    }
    northwind["sla"] = dict(SLA)


class TaggedTriager:
    """Our own Triager port: rules triage, with language and intent taken from tags."""

    async def triage(
        self, store: Store, text: str, *, channel_account_id: str | None = None
    ) -> Triage:
        found = triage_text(text, default_language="en", channel_account_id=channel_account_id)
        tags = dict(
            word.split(":", 1) for word in text.split() if word.startswith(("lang:", "intent:"))
        )
        intent = IntentGuess(tags["intent"], 1.0) if "intent" in tags else None
        return dataclasses.replace(found, language=tags.get("lang", found.language), intent=intent)
