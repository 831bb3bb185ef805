"""What may link two customer identities: normalized contact keys and how sure we are of them.

An exact match on a *verified* key links at once; anything weaker only proposes a link that a
person confirms. Keys never leave their scope (the store's client), so two clients that share
a customer's email never share a profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class KeyKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ORDER = "order"


@dataclass(frozen=True)
class CustomerKey:
    kind: KeyKind
    value: str  # normalized
    verified: bool
    source: str  # where it came from: a channel kind, or "lookup"


# Channels whose own protocol proves the address: mail is answered at the sender address,
# and WhatsApp's wa_id is the phone number WhatsApp verified. Telegram chat ids, web chat
# visitors and webhook customer ids carry no contact key.
_CHANNEL_KEYS = {"email": KeyKind.EMAIL, "whatsapp": KeyKind.PHONE}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def scope_of(client_id: str | None, store_id: str) -> str:
    """Links stay within one client; a store without a client is its own scope."""
    return f"client:{client_id}" if client_id else f"store:{store_id}"


def normalize_email(raw: str) -> str | None:
    value = raw.strip().lower()
    return value if _EMAIL.match(value) else None


def normalize_phone(raw: str) -> str | None:
    """Digits only: `+49 (30) 1234-567` and `4930 1234567` are the same number."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("00"):
        digits = digits[2:]
    return digits if 7 <= len(digits) <= 15 else None


def normalize_order(store_id: str, raw: str) -> str | None:
    """Order numbers are only unique within their store, so the key carries the store."""
    number = raw.strip().lstrip("#").upper()
    return f"{store_id}:{number}" if number else None


def channel_keys(channel_kind: str, external_id: str) -> list[CustomerKey]:
    kind = _CHANNEL_KEYS.get(channel_kind)
    if kind is None:
        return []
    value = normalize_email(external_id) if kind == KeyKind.EMAIL else normalize_phone(external_id)
    return [CustomerKey(kind, value, True, channel_kind)] if value else []


def lookup_keys(store_id: str, fields: dict[str, str], query: str) -> list[CustomerKey]:
    """A back-office lookup that found an order vouches for the order number it found; the
    email on that order is only what the order says, not proof this chatter owns it."""
    keys: list[CustomerKey] = []
    order = normalize_order(store_id, str(fields.get("order_id") or query))
    if order:
        keys.append(CustomerKey(KeyKind.ORDER, order, True, "lookup"))
    email = normalize_email(str(fields.get("email") or ""))
    if email:
        keys.append(CustomerKey(KeyKind.EMAIL, email, False, "lookup"))
    return keys


def lenient_email(value: str) -> str:
    """Mailbox-equivalent spelling: no dots or `+tag` in the local part."""
    local, _, domain = value.partition("@")
    return f"{local.split('+', 1)[0].replace('.', '')}@{domain}"


def normalize_name(raw: str) -> str:
    return " ".join(raw.casefold().split())


def _edit_distance(a: str, b: str, limit: int) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, char_b in enumerate(b, 1):
            substitute = previous + (char_a != char_b)
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, substitute)
    return row[-1]


def _similar_mailboxes(a: str, b: str) -> bool:
    """Same domain, local parts a typo apart (one edit, two for long names)."""
    local_a, _, domain_a = lenient_email(a).partition("@")
    local_b, _, domain_b = lenient_email(b).partition("@")
    if domain_a != domain_b:
        return False
    allowed = 2 if min(len(local_a), len(local_b)) >= 8 else 1
    return _edit_distance(local_a, local_b, allowed) <= allowed


@dataclass(frozen=True)
class KnownKey:
    """A key already held by a customer of the same scope."""

    customer_id: str
    customer_name: str
    kind: KeyKind
    value: str
    verified: bool


def exact_match(key: CustomerKey, known: KnownKey) -> bool:
    return key.verified and known.verified and key.kind == known.kind and key.value == known.value


def fuzzy_reason(key: CustomerKey, name: str, known: KnownKey) -> str | None:
    """Why two customers may be one person, or None; exact verified matches are not fuzzy."""
    if key.kind != known.kind or exact_match(key, known):
        return None
    if key.value == known.value:
        return f"same {key.kind} {key.value}, not verified on both sides"
    if key.kind != KeyKind.EMAIL:
        return None
    if lenient_email(key.value) == lenient_email(known.value):
        return f"emails {key.value} and {known.value} reach the same mailbox spelling"
    same_name = bool(normalize_name(name)) and normalize_name(name) == normalize_name(
        known.customer_name
    )
    if same_name and _similar_mailboxes(key.value, known.value):
        return f"same name {name!r} and similar emails {key.value} / {known.value}"
    return None
