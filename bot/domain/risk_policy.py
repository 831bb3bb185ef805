"""First risk rule: money-back, compensation, complaints and legal threats need a lead."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.model import Route, StoreMode

# Each entry: reason label -> patterns (English words by stem, Chinese by phrase).
_RISK_PATTERNS: dict[str, tuple[str, ...]] = {
    "refund": (r"\brefund", r"money\s+back", r"\breimburs", "退款", "退钱", "返还"),
    "compensation": (r"\bcompensat", r"\bcredit\s+note", "赔偿", "补偿", "赔付"),
    "complaint": (r"\bcomplain", r"\bunacceptable\b", "投诉", "举报"),
    "legal": (r"\blawyer", r"\blegal\b", r"\bsue\b", r"\bcourt\b", "律师", "起诉", "法院", "诉讼"),
    "chargeback": (r"\bcharge\s*back", r"\bdispute", "拒付", "争议"),
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


def decide_route(mode: StoreMode, risk: RiskAssessment, *, confident: bool) -> Route:
    """Risky messages always go to a lead; only `auto` stores send without a person."""
    if risk.needs_supervisor:
        return Route.REVIEW
    if not confident:
        return Route.TAKEOVER
    if mode == StoreMode.AUTO:
        return Route.AUTO
    return Route.DRAFT
