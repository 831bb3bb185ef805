"""Masking personal data (emails, phones, card-like numbers, street addresses) in text.

Used on log lines and on what leaves for an external model when the store asks for it.
Order and tracking numbers are kept: they identify an order, not a person, and lookups and
drafts need them. Card numbers are recognised by the Luhn check so order numbers of the
same length are not taken for cards.
"""

from __future__ import annotations

import re

from bot.domain.entities import extract_entities

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][\w'-]*\s+){1,4}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|"
    r"Square|Sq|Terrace|Close|Strasse|Straße|Str)\b\.?"
)
_ZH_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{2,8}(?:省|市|自治区)?[\u4e00-\u9fff]{0,8}(?:区|县|镇)"
    r"[\u4e00-\u9fff\d]{1,20}(?:路|街|道|巷|弄)[\d一二三四五六七八九十]+号(?:[\d\-]+(?:室|楼|单元))*"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group()


def mask_pii(text: str) -> str:
    masked = _EMAIL.sub("[email]", text)
    masked = _CARD.sub(_card, masked)
    for phone in sorted(extract_entities(masked)["phones"], key=len, reverse=True):
        masked = masked.replace(phone, "[phone]")
    masked = _STREET.sub("[address]", masked)
    return _ZH_ADDRESS.sub("[address]", masked)
