"""The triage of one message: everything later steps and evidence need, in one value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.entities import extract_entities
from bot.domain.injection import injection_signals
from bot.domain.language import detect_language
from bot.domain.risk_policy import DEFAULT_POLICY, RiskAssessment, RiskPolicy, assess_risk
from bot.domain.sentiment import SentimentReading, read_sentiment

PERSONAL_MASKS = {"emails": "[email]", "phones": "[phone]"}


@dataclass(frozen=True)
class IntentGuess:
    label: str  # an intent label, or `out_of_scope`
    score: float  # similarity to the label's examples (0 when no classifier ran)
    runner_up: str | None = None


@dataclass(frozen=True)
class Triage:
    language: str
    intent: IntentGuess | None
    sentiment: SentimentReading
    entities: Mapping[str, Sequence[str]]
    injection: tuple[str, ...]
    risk: RiskAssessment
    extra: Mapping[str, Any] = field(default_factory=dict)

    def payload(self, *, mask_personal: bool = True) -> dict[str, Any]:
        """What the `triaged` audit event and the triage CLI record.

        The audit chain is append-only, so emails and phone numbers go into it masked.
        """
        return {
            "language": self.language,
            "intent": self.intent.label if self.intent else None,
            "intent_score": round(self.intent.score, 4) if self.intent else None,
            "sentiment": self.sentiment.label.value,
            "angry": self.sentiment.angry,
            "entities": {
                kind: [
                    PERSONAL_MASKS[kind] if mask_personal and kind in PERSONAL_MASKS else v
                    for v in values
                ]
                for kind, values in self.entities.items()
            },
            "injection": bool(self.injection),
            "injection_signals": list(self.injection),
            "risk": self.risk.level,
            "risk_reasons": list(self.risk.reasons),
        }


def triage_text(
    text: str,
    *,
    default_language: str,
    intent: IntentGuess | None = None,
    policy: RiskPolicy = DEFAULT_POLICY,
    channel_account_id: str | None = None,
) -> Triage:
    """The rule-based part of triage; the intent comes from a classifier when one is set up."""
    sentiment = read_sentiment(text)
    entities = extract_entities(text)
    injection = injection_signals(text)
    risk = assess_risk(
        text,
        intent=intent.label if intent else None,
        sentiment=sentiment,
        entities=entities,
        injection=injection,
        channel_account_id=channel_account_id,
        policy=policy,
    )
    return Triage(
        language=detect_language(text, default=default_language),
        intent=intent,
        sentiment=sentiment,
        entities=entities,
        injection=injection,
        risk=risk,
    )
