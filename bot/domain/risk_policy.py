"""First risk rule: money-back, compensation, complaints and legal threats need a lead."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.model import Route, StoreMode

# English stems must not follow a Latin letter (so "unrefundable" stays a refund word but
# text glued to Chinese, "我要refund", still matches); Chinese in both scripts.
_EN = r"(?<![A-Za-z])"
_RISK_PATTERNS: dict[str, tuple[str, ...]] = {
    "refund": (
        _EN + r"refund",
        _EN + r"money\s+back",
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
}
_COMPILED = {
    reason: re.compile("|".join(patterns), re.IGNORECASE)
    for reason, patterns in _RISK_PATTERNS.items()
}


@dataclass(frozen=True)
class RiskAssessment:
    reasons: tuple[str, ...]

    @property
    def needs_supervisor(self) -> bool:
        return bool(self.reasons)


def assess_risk(text: str) -> RiskAssessment:
    return RiskAssessment(tuple(r for r, rx in _COMPILED.items() if rx.search(text)))


def decide_route(
    mode: StoreMode, risk: RiskAssessment, *, confident: bool, under_review: bool = False
) -> Route:
    """Risky messages, and anything in a conversation a lead already owns, go to a lead.

    Only `auto` stores send without a person, and only harmless, well-grounded answers.
    """
    if risk.needs_supervisor or under_review:
        return Route.REVIEW
    if not confident:
        return Route.TAKEOVER
    if mode == StoreMode.AUTO:
        return Route.AUTO
    return Route.DRAFT
