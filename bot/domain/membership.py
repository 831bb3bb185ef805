"""Invitations: a one-time link that turns an email address into a member with one grant."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import InvalidInput
from bot.domain.permissions import Role, ScopeKind

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
IDENTITY_KINDS = ("email", "slack", "telegram")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass
class Invitation:
    id: str
    token_hash: str
    email: str
    role: Role
    scope: ScopeKind
    scope_id: str
    invited_by: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    member_id: str | None = None


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    """Only the hash is stored: a database read does not hand out working links."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"email: {raw!r} is not an email address")
    return email


def normalize_identity(kind: str, raw: str) -> str:
    """Check a workspace identity's shape before it can name a member."""
    value = raw.strip()
    if kind == "email":
        return normalize_email(value)
    if kind == "slack" and _SLACK_USER.match(value):
        return value
    if kind == "telegram" and value.isdigit() and int(value) > 0:
        return value
    raise InvalidInput(f"{kind} identity: {raw!r} is not valid")


def member_id_for(email: str, taken: set[str]) -> str:
    """A readable, unique member id from the address's local part."""
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@", 1)[0].lower()).strip("-") or "member"
    base = base[:40]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def parse_role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise InvalidInput(f"role: must be one of {', '.join(r.value for r in Role)}") from None
