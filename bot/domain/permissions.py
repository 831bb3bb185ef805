"""Who may do what, per store; every surface asks here before acting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    REVIEW_QUEUE = "review_queue"  # see every draft awaiting review, with pass rates
    INVITE = "invite"  # invite people and grant roles (within what the inviter holds)
    COMMENT = "comment"  # a client's remark, reaching the team as an internal note


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
        Action.COMMENT,
    }
)
_LEAD_ACTIONS = _AGENT_ACTIONS | {
    Action.RETRY_DELIVERY,
    Action.CHANGE_MODE,
    Action.MANAGE_KNOWLEDGE,
    Action.REVIEW_QUEUE,
    Action.INVITE,
}
ALLOWED: dict[Role, frozenset[Action]] = {
    Role.AGENT: _AGENT_ACTIONS,
    Role.LEAD: _LEAD_ACTIONS,
    Role.ADMIN: _LEAD_ACTIONS,
    Role.CLIENT: frozenset({Action.VIEW, Action.COMMENT}),
}
SUPERVISORS = frozenset({Role.LEAD, Role.ADMIN})
# The roles each role may hand out: a lead grows the team, only an admin makes leads.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.LEAD: frozenset({Role.AGENT, Role.CLIENT}),
    Role.AGENT: frozenset(),
    Role.CLIENT: frozenset(),
}


class ScopeKind(StrEnum):
    """How wide a grant reaches: every store, one client's stores, or one store."""

    ORGANIZATION = "organization"
    CLIENT = "client"
    STORE = "store"


_SPECIFICITY = {ScopeKind.ORGANIZATION: 0, ScopeKind.CLIENT: 1, ScopeKind.STORE: 2}


@dataclass(frozen=True)
class Grant:
    """One role over one scope; `scope_id` is empty for the organization."""

    member_id: str
    scope: ScopeKind
    scope_id: str
    role: Role

    def covers(self, store_id: str, client_id: str | None) -> bool:
        if self.scope == ScopeKind.ORGANIZATION:
            return True
        if self.scope == ScopeKind.CLIENT:
            return client_id is not None and client_id == self.scope_id
        return store_id == self.scope_id


def effective_roles(grants: Iterable[Grant], stores: Mapping[str, str | None]) -> dict[str, Role]:
    """Each store's role for one member: the most specific grant wins, so a member can be
    lead for a whole client and only an agent in one of its stores (or the other way)."""
    chosen: dict[str, tuple[int, Role]] = {}
    for grant in grants:
        rank = _SPECIFICITY[grant.scope]
        for store_id, client_id in stores.items():
            if grant.covers(store_id, client_id):
                current = chosen.get(store_id)
                if current is None or rank > current[0]:
                    chosen[store_id] = (rank, grant.role)
    return {store_id: role for store_id, (_, role) in chosen.items()}


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

    def can_grant(self, role: Role, store_id: str) -> bool:
        held = self.role_in(store_id)
        return held is not None and Action.INVITE in ALLOWED[held] and role in GRANTABLE[held]

    def authorize_grant(self, role: Role, store_ids: Iterable[str]) -> None:
        """Refuse a grant wider than what the granter holds: inviting needs the right in
        every store the grant reaches, and a lead can only hand out agent or client."""
        targets = sorted(store_ids)
        if not targets:
            raise NotAuthorized("the grant reaches no store")
        for store_id in targets:
            held = self.authorize(Action.INVITE, store_id)
            if role not in GRANTABLE[held]:
                raise NotAuthorized(f"a {held} may not grant {role} (store {store_id})")
