"""Checks a model-written reply must pass before a person sees it as a draft.

Each check stands for a way a model goes wrong in support: replying too long or in the wrong
language, citing an article it was not given, or promising money, amounts or dates that no
knowledge article or lookup result supports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.entities import extract_entities
from bot.domain.language import detect_language
from bot.domain.risk_policy import risk_words


class DraftRejected(Exception):
    """The model's reply failed a check; the local drafter answers instead."""


_MONEY_REASONS = ("refund", "compensation")
_DURATION = re.compile(
    r"(\d+)\s*(?:-|to|–|~|至|到)?\s*(?:\d+\s*)?(?:business\s+|working\s+)?"
    r"(?:days?|weeks?|hours?|months?|个?工作日|天|日|周|小时|个月)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\d{1,2}月\d{1,2}[日号]|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b(?:tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|明天|后天|周[一二三四五六日]",
    re.IGNORECASE,
)


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def check_reply(
    reply: str,
    citations: Sequence[str],
    *,
    language: str,
    known_ids: set[str],
    evidence: Sequence[str],
    max_chars: int,
    facts_used: bool,
) -> None:
    text = reply.strip()
    if not text:
        raise DraftRejected("the model returned an empty reply")
    if len(text) > max_chars:
        raise DraftRejected(f"reply is {len(text)} characters, more than {max_chars}")
    primary = language.split("-")[0].lower()
    if primary in ("en", "zh") and detect_language(text, default="en") != primary:
        raise DraftRejected(f"reply is not in the customer's language ({primary})")
    unknown = [c for c in citations if c not in known_ids]
    if unknown:
        raise DraftRejected(f"reply cites articles it was not given: {', '.join(unknown)}")
    if not citations and not facts_used:
        raise DraftRejected("reply cites no knowledge article")
    support = "\n".join(evidence)
    support_numbers = _numbers(support)
    support_risks = set(risk_words(support))
    promised = [r for r in risk_words(text) if r in _MONEY_REASONS and r not in support_risks]
    if promised:
        raise DraftRejected(f"reply speaks of {', '.join(promised)} the evidence does not mention")
    for amount in extract_entities(text)["amounts"]:
        if not _numbers(amount) <= support_numbers:
            raise DraftRejected(f"reply states an amount ({amount}) the evidence does not show")
    for match in _DURATION.finditer(text):
        if not _numbers(match.group()) <= support_numbers:
            raise DraftRejected(f"reply promises a time ({match.group()}) the evidence lacks")
    support_lower = support.lower()
    for match in _DATE.finditer(text):
        if match.group().lower() not in support_lower:
            raise DraftRejected(f"reply names a date ({match.group()}) the evidence lacks")
