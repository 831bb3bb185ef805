"""Who may do what, per store; every surface asks here before acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.errors import NotAuthorized


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"
    CLIENT = "client"


class Action(StrEnum):
    VIEW = "view"
    SEND_REPLY = "send_reply"  # approve, edit-and-send, or write a reply
    ESCALATE = "escalate"
    TAKE_OVER = "take_over"
    NOTE = "note"
    RESOLVE = "resolve"
    RETRY_DELIVERY = "retry_delivery"
    ASSIGN = "assign"
    REOPEN = "reopen"
    CHANGE_MODE = "change_mode"
    MANAGE_KNOWLEDGE = "manage_knowledge"  # edit articles, accept or reject proposals


_AGENT_ACTIONS = frozenset(
    {
        Action.VIEW,
        Action.SEND_REPLY,
        Action.ESCALATE,
        Action.TAKE_OVER,
        Action.NOTE,
        Action.RESOLVE,
        Action.ASSIGN,
        Action.REOPEN,
    }
)
_LEAD_ACTIONS = _AGENT_ACTIONS | {
    Action.RETRY_DELIVERY,
    Action.CHANGE_MODE,
    Action.MANAGE_KNOWLEDGE,
}
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.AGENT: _AGENT_ACTIONS,
    Role.LEAD: _LEAD_ACTIONS,
    Role.ADMIN: _LEAD_ACTIONS,
    Role.CLIENT: frozenset({Action.VIEW}),
}
SUPERVISORS = frozenset({Role.LEAD, Role.ADMIN})


@dataclass(frozen=True)
class Member:
    """A person on the team (or a client), with one role per store."""

    id: str
    name: str
    roles: dict[str, Role] = field(default_factory=dict)

    def role_in(self, store_id: str) -> Role | None:
        return self.roles.get(store_id)

    def visible_stores(self) -> list[str]:
        return sorted(self.roles)

    def can(self, action: Action, store_id: str, *, needs_supervisor: bool = False) -> bool:
        role = self.role_in(store_id)
        if role is None or action not in ALLOWED[role]:
            return False
        return not (needs_supervisor and action == Action.SEND_REPLY and role not in SUPERVISORS)

    def authorize(self, action: Action, store_id: str, *, needs_supervisor: bool = False) -> Role:
        """Return the member's role, or raise with a reason a person can read."""
        role = self.role_in(store_id)
        if role is None:
            raise NotAuthorized(f"{self.id} has no role in store {store_id}")
        if action not in ALLOWED[role]:
            raise NotAuthorized(f"role {role} may not {action} in store {store_id}")
        if needs_supervisor and action == Action.SEND_REPLY and role not in SUPERVISORS:
            raise NotAuthorized(f"this reply needs a lead's approval; {self.id} is {role}")
        return role
