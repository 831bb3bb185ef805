"""Entities in customer text that back-office lookups and drafts need: pure regexes, no I/O.

Order numbers are the key to every lookup, so they are matched in the shapes shops use
(`#1042`, `order 1042`, `订单号 1042`, `SO-2024-0042`); amounts keep their currency so a
draft never turns "€40" into "40".
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDER = re.compile(
    r"(?:#\s?|\border(?:\s+(?:number|no\.?|id|#))?\s*[:#]?\s*|订单号?\s*[:：#]?\s*)"
    r"([A-Z]{0,4}-?\d[\d-]{2,18}\d)",
    re.IGNORECASE,
)
_TRACKING = re.compile(
    r"\b(1Z[0-9A-Z]{16}|[A-Z]{2}\d{9}[A-Z]{2}|(?:SF|YT|JT|ZTO)\d{10,15})\b", re.IGNORECASE
)
_PHONE = re.compile(r"(?<![A-Za-z0-9#])\+?\d[\d ()-]{7,}\d(?![A-Za-z0-9])")
_AMOUNT = re.compile(
    r"(?:[$€£¥￥]\s?\d+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?\s?(?:USD|EUR|GBP|CNY|RMB|元|块|dollars?|euros?))",
    re.IGNORECASE,
)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values))


def extract_entities(text: str) -> dict[str, list[str]]:
    """Every entity kind is present (possibly empty) so callers never branch on missing keys."""
    emails = _unique(_EMAIL.findall(text))
    orders = _unique(_ORDER.findall(text))
    tracking = _unique(m.upper() for m in _TRACKING.findall(text))  # type: ignore[misc]
    without_known = _EMAIL.sub(" ", text)
    for value in (*orders, *tracking):
        without_known = without_known.replace(value, " ")
    phones = _unique(
        [p for p in _PHONE.findall(without_known) if sum(ch.isdigit() for ch in p) >= 8]
    )
    amounts = _unique(_AMOUNT.findall(text))
    return {
        "order_numbers": orders,
        "tracking_numbers": tracking,
        "emails": emails,
        "phones": phones,
        "amounts": amounts,
    }
