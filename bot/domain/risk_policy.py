"""Risk: what in a message (words, intent, sentiment, entities) decides who must act first.

A store's policy (TOML) maps intents, sentiment, entities and keywords to a route, but some
reasons are beyond any policy: money back, compensation, disputes, legal threats, public
replies, complaints and injection attempts always reach a lead, whatever the store mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.intents import OUT_OF_SCOPE
from bot.domain.model import Route, StoreMode
from bot.domain.sentiment import Sentiment, SentimentReading

# English stems must not follow a Latin letter (so "unrefundable" stays a refund word but
# text glued to Chinese, "我要refund", still matches); Chinese in both scripts.
_EN = r"(?<![A-Za-z])"
_RISK_PATTERNS: dict[str, tuple[str, ...]] = {
    "refund": (
        _EN + r"refund",
        _EN + r"money\s+back",
        _EN + r"(?:return|give\s+back|want)\s+my\s+money",
        _EN + r"reimburs",
        "退款",
        "退钱",
        "退錢",
        "返还",
        "返還",
    ),
    "compensation": (
        _EN + r"compensat",
        _EN + r"credit\s+note",
        "赔偿",
        "賠償",
        "补偿",
        "補償",
        "赔付",
        "賠付",
    ),
    "complaint": (_EN + r"complain", _EN + r"unacceptable", "投诉", "投訴", "举报", "舉報"),
    "legal": (
        _EN + r"lawyer",
        _EN + r"attorney",
        _EN + r"lawsuit",
        _EN + r"legal\s+action",
        _EN + r"(?:suing|sued)(?![A-Za-z])",
        _EN + r"sue\s+(?:you|your|them|the|this|a|an)(?![A-Za-z])",
        _EN + r"(?:see|take)\s+(?:you|this|it|them)\s+(?:to|in)\s+court",
        _EN + r"small\s+claims",
        "律师",
        "律師",
        "起诉",
        "起訴",
        "法院",
        "诉讼",
        "訴訟",
    ),
    "chargeback": (_EN + r"charge\s*back", _EN + r"dispute", "拒付", "争议", "爭議"),
    "public": (
        _EN + r"(?:post|write|leave)\s+(?:a\s+|an\s+|my\s+)?(?:\w+\s+)?review",
        _EN + r"(?:social\s+media|twitter|facebook|instagram|tiktok|trustpilot|reddit)",
        _EN + r"go(?:ing)?\s+public|the\s+press(?![A-Za-z])|journalist|news\s*paper",
        "曝光",
        "差评",
        "差評",
        "媒体",
        "媒體",
        "微博",
        "抖音",
        "小红书",
        "记者",
        "記者",
    ),
}
_COMPILED = {
    reason: re.compile("|".join(patterns), re.IGNORECASE)
    for reason, patterns in _RISK_PATTERNS.items()
}

# Reasons no store policy can lower: a lead approves, in every mode.
MANDATORY_REVIEW: frozenset[str] = frozenset({*_RISK_PATTERNS, "injection", "public_channel"})
_SEVERITY = {Route.AUTO: 0, Route.DRAFT: 1, Route.REVIEW: 2, Route.TAKEOVER: 3}


def stricter(a: Route, b: Route) -> Route:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


@dataclass(frozen=True)
class KeywordRule:
    pattern: str  # a regular expression, matched case-insensitively
    route: Route
    reason: str


@dataclass(frozen=True)
class RiskPolicy:
    """One store's routing rules; the defaults are what a store gets without a `[stores.risk]`."""

    auto_intents: frozenset[str] = frozenset(
        {"shipping", "product_question", "size_fit", "payment"}
    )
    intent_routes: Mapping[str, Route] = field(
        default_factory=lambda: {
            "refund": Route.REVIEW,
            "complaint": Route.REVIEW,
            "talk_to_human": Route.TAKEOVER,
        }
    )
    sentiment_routes: Mapping[str, Route] = field(
        default_factory=lambda: {"angry": Route.REVIEW}  # keys: "negative", "angry"
    )
    entity_routes: Mapping[str, Route] = field(default_factory=dict)
    keywords: Sequence[KeywordRule] = ()
    public_channels: frozenset[str] = frozenset()
    mask_pii: bool = True  # mask PII in what goes to an external model
    assist_hold_seconds: float = 60.0  # how long an `assist` store holds an auto-send

    def keyword_hits(self, text: str) -> list[KeywordRule]:
        return [rule for rule in self.keywords if re.search(rule.pattern, text, re.IGNORECASE)]


DEFAULT_POLICY = RiskPolicy()


@dataclass(frozen=True)
class RiskAssessment:
    reasons: tuple[str, ...]
    floor: Route = Route.AUTO  # the least a person must do, from the store's policy
    auto_allowed: bool = False  # the intent is one the store lets go out without a person

    @property
    def needs_supervisor(self) -> bool:
        return any(r in MANDATORY_REVIEW for r in self.reasons) or _SEVERITY[self.floor] >= 2

    @property
    def mandatory(self) -> bool:
        return any(r in MANDATORY_REVIEW for r in self.reasons)

    @property
    def level(self) -> str:
        """`high` when a lead must see it, `medium` when a person must, `low` otherwise."""
        if self.needs_supervisor:
            return "high"
        return "low" if self.auto_allowed else "medium"


def risk_words(text: str) -> tuple[str, ...]:
    return tuple(r for r, rx in _COMPILED.items() if rx.search(text))


def assess_risk(
    text: str,
    *,
    intent: str | None = None,
    sentiment: SentimentReading | None = None,
    entities: Mapping[str, Sequence[str]] | None = None,
    injection: Sequence[str] = (),
    channel_account_id: str | None = None,
    policy: RiskPolicy = DEFAULT_POLICY,
) -> RiskAssessment:
    """Everything that raises the route, named; only a known, allowed intent may go out alone."""
    reasons: list[str] = list(risk_words(text))
    floor = Route.AUTO
    if intent and intent != OUT_OF_SCOPE:
        # Store labels such as "request_refund" or "dispute_charge" carry their risk too.
        reasons.extend(risk_words(intent.replace("_", " ").replace("-", " ")))
        if intent in policy.intent_routes:
            floor = stricter(floor, policy.intent_routes[intent])
            reasons.append(f"intent:{intent}")
    if sentiment is not None:
        moods = ("angry", Sentiment.NEGATIVE.value) if sentiment.angry else (sentiment.label.value,)
        for key in moods:
            if key in policy.sentiment_routes:
                floor = stricter(floor, policy.sentiment_routes[key])
                reasons.append(f"sentiment:{key}")
    for kind, route in (policy.entity_routes or {}).items():
        if entities and entities.get(kind):
            floor = stricter(floor, route)
            reasons.append(f"entity:{kind}")
    for rule in policy.keyword_hits(text):
        floor = stricter(floor, rule.route)
        reasons.append(rule.reason)
    if injection:
        reasons.append("injection")
    if channel_account_id is not None and channel_account_id in policy.public_channels:
        reasons.append("public_channel")
    unique = tuple(dict.fromkeys(reasons))
    if any(r in MANDATORY_REVIEW for r in unique):
        floor = stricter(floor, Route.REVIEW)
    auto_allowed = bool(intent) and intent in policy.auto_intents and floor == Route.AUTO
    return RiskAssessment(unique, floor, auto_allowed)


def decide_route(
    mode: StoreMode, risk: RiskAssessment, *, confident: bool, under_review: bool = False
) -> Route:
    """Mandatory reasons and conversations a lead owns go to a lead (never a bare takeover,
    which an agent could answer); then the policy's floor. A `pilot` store's drafts are for
    leads only; `assist` and `auto` stores may send the intents they allow without a person
    (`assist` after a hold anyone can cancel, which the drafting service applies)."""
    if risk.mandatory or under_review:
        return Route.REVIEW
    if risk.floor in (Route.REVIEW, Route.TAKEOVER):
        return risk.floor
    if not confident:
        return Route.TAKEOVER
    if mode == StoreMode.PILOT:
        return Route.REVIEW
    sends_alone = mode in (StoreMode.AUTO, StoreMode.ASSIST)
    if sends_alone and risk.floor == Route.AUTO and risk.auto_allowed:
        return Route.AUTO
    return Route.DRAFT
