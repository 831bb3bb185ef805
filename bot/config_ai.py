"""Config sections for triage, risk policy and the OpenAI-compatible drafter.

Kept apart from `bot/config.py` so the policy's validation (routes, regexes, the reasons no
store may lower) lives next to its translation into the domain's `RiskPolicy`.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.model import Route
from bot.domain.risk_policy import (
    DEFAULT_POLICY,
    KeywordRule,
    RiskPolicy,
    risk_words,
)
from bot.domain.templates import ScriptTemplate

RouteName = Literal["auto", "draft", "review", "takeover"]
_BELOW_REVIEW = {"auto", "draft"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeywordRuleConfig(_Strict):
    pattern: Annotated[str, Field(min_length=1)]
    route: RouteName
    reason: Annotated[str, Field(min_length=1, max_length=60)]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as problem:
            raise ValueError(f"{value!r} is not a valid regular expression: {problem}") from None
        return value


class RiskPolicyConfig(_Strict):
    """`[stores.risk]`: every key optional; what is left out keeps the built-in default."""

    auto_intents: list[str] | None = None
    intents: dict[str, RouteName] = Field(default_factory=dict)
    sentiment: dict[Literal["negative", "angry"], RouteName] = Field(default_factory=dict)
    entities: dict[
        Literal["order_numbers", "tracking_numbers", "emails", "phones", "amounts"], RouteName
    ] = Field(default_factory=dict)
    keywords: list[KeywordRuleConfig] = Field(default_factory=list)
    public_channels: list[str] = Field(default_factory=list)
    mask_pii: bool = True
    assist_hold_seconds: Annotated[float, Field(ge=1, le=3600)] = Field(
        default=60.0, description="in `assist` mode, how long an auto-send waits to be cancelled"
    )

    @model_validator(mode="after")
    def _money_and_disputes_stay_reviewed(self) -> Self:
        for intent, route in self.intents.items():
            words = risk_words(intent.replace("_", " ").replace("-", " "))
            if route in _BELOW_REVIEW and (words or intent in ("refund", "complaint")):
                raise ValueError(
                    f"intents.{intent}: {route!r} is not allowed; refunds, compensation, "
                    "disputes, legal threats and complaints always need review"
                )
        return self

    def to_policy(self) -> RiskPolicy:
        intent_routes = dict(DEFAULT_POLICY.intent_routes)
        intent_routes.update({k: Route(v) for k, v in self.intents.items()})
        sentiment_routes = dict(DEFAULT_POLICY.sentiment_routes)
        sentiment_routes.update({k: Route(v) for k, v in self.sentiment.items()})
        return RiskPolicy(
            auto_intents=(
                frozenset(self.auto_intents)
                if self.auto_intents is not None
                else DEFAULT_POLICY.auto_intents
            ),
            intent_routes=intent_routes,
            sentiment_routes=sentiment_routes,
            entity_routes={k: Route(v) for k, v in self.entities.items()},
            keywords=tuple(KeywordRule(k.pattern, Route(k.route), k.reason) for k in self.keywords),
            public_channels=frozenset(self.public_channels),
            mask_pii=self.mask_pii,
            assist_hold_seconds=self.assist_hold_seconds,
        )


class TemplateConfig(_Strict):
    """`[[stores.templates]]`: the store's wording for an intent, with `{variables}`."""

    intent: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=1)]
    language: str = ""

    def to_template(self) -> ScriptTemplate:
        return ScriptTemplate(self.intent, self.text, self.language.split("-")[0].lower())


class TriageConfig(_Strict):
    """`[triage]`: leave `intent_threshold` unset to calibrate it per intent set."""

    intent_threshold: Annotated[float, Field(ge=0, le=1)] | None = None


class SummariesConfig(_Strict):
    """`[summaries]`: when a conversation gets a summary, and how long it may be."""

    # Customer messages after which the thread header shows a summary (0 turns it off;
    # escalations and takeovers always get one).
    after_customer_messages: Annotated[int, Field(ge=0)] = 4
    max_chars: Annotated[int, Field(ge=80, le=2000)] = 400


class OpenAIConfig(_Strict):
    """`[openai]`: used when the key variable is set; the base URL makes any compatible API work."""

    model: Annotated[str, Field(min_length=1)] = "gpt-4o-mini"
    api_key_env: str = "OPENAI_API_KEY"
    base_url_env: str = "OPENAI_BASE_URL"
    base_url: str = "https://api.openai.com/v1"
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 20.0
    max_retries: Annotated[int, Field(ge=0, le=5)] = 1
    max_tool_rounds: Annotated[int, Field(ge=0, le=5)] = 3
    max_reply_chars: Annotated[int, Field(ge=50, le=4000)] = 1200
    embedding_model: str | None = Field(
        default=None,
        description="knowledge vectors from this model when the key is set (else local)",
    )
    embedding_dimensions: Annotated[int, Field(ge=8, le=8192)] = Field(
        default=1536, description="the model's vector size; sent to the API only when set"
    )

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None

    def resolved_base_url(self) -> str:
        return os.environ.get(self.base_url_env) or self.base_url
