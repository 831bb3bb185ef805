"""Who may do what, per store: the matrix every surface relies on."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotAuthorized
from bot.domain.permissions import Action, Grant, Member, Role, ScopeKind, effective_roles

STORE = "northwind"
OTHER = "dragon"

AGENT_MAY = {
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
LEAD_MAY = AGENT_MAY | {
    Action.RETRY_DELIVERY,
    Action.CHANGE_MODE,
    Action.MANAGE_KNOWLEDGE,
    Action.REVIEW_QUEUE,
    Action.INVITE,
}
MATRIX = {
    Role.AGENT: AGENT_MAY,
    Role.LEAD: LEAD_MAY,
    Role.ADMIN: LEAD_MAY,
    Role.CLIENT: {Action.VIEW, Action.COMMENT},
}


def member(role: Role, store: str = STORE) -> Member:
    return Member(id=f"{role.value}-1", name=role.value.title(), roles={store: role})


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_matrix(role, action):
    person = member(role)
    allowed = action in MATRIX[role]
    assert person.can(action, STORE) is allowed
    if allowed:
        assert person.authorize(action, STORE) is role
    else:
        with pytest.raises(NotAuthorized) as refusal:
            person.authorize(action, STORE)
        assert role.value in str(refusal.value)
        assert action.value in str(refusal.value)
        assert STORE in str(refusal.value)


@pytest.mark.parametrize("action", [a for a in Action if a not in (Action.VIEW, Action.COMMENT)])
def test_client_can_only_view_and_comment(action):
    client = member(Role.CLIENT)
    assert client.can(Action.VIEW, STORE)
    assert not client.can(action, STORE)
    with pytest.raises(NotAuthorized):
        client.authorize(action, STORE)


def test_agent_cannot_send_a_reply_that_needs_a_supervisor():
    agent = member(Role.AGENT)
    assert agent.can(Action.SEND_REPLY, STORE)
    assert not agent.can(Action.SEND_REPLY, STORE, needs_supervisor=True)
    with pytest.raises(NotAuthorized, match="lead"):
        agent.authorize(Action.SEND_REPLY, STORE, needs_supervisor=True)


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
def test_supervisors_can_send_a_reply_that_needs_a_supervisor(role):
    person = member(role)
    assert person.can(Action.SEND_REPLY, STORE, needs_supervisor=True)
    assert person.authorize(Action.SEND_REPLY, STORE, needs_supervisor=True) is role


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.SEND_REPLY])
def test_needs_supervisor_only_restricts_sending(action):
    agent = member(Role.AGENT)
    assert agent.can(action, STORE, needs_supervisor=True) is (action in MATRIX[Role.AGENT])


def test_client_cannot_send_even_when_no_supervisor_is_needed():
    with pytest.raises(NotAuthorized, match="client"):
        member(Role.CLIENT).authorize(Action.SEND_REPLY, STORE, needs_supervisor=False)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_no_role_in_a_store_means_nothing_there(role, action):
    person = member(role, store=OTHER)
    assert not person.can(action, STORE)
    with pytest.raises(NotAuthorized) as refusal:
        person.authorize(action, STORE)
    assert STORE in str(refusal.value)
    assert person.id in str(refusal.value)


def test_roles_are_per_store():
    sam = Member(id="sam", name="Sam", roles={STORE: Role.LEAD, OTHER: Role.CLIENT})
    assert sam.can(Action.RETRY_DELIVERY, STORE)
    assert not sam.can(Action.RETRY_DELIVERY, OTHER)
    assert sam.can(Action.VIEW, OTHER)
    assert sam.visible_stores() == [OTHER, STORE]
    assert sam.role_in("elsewhere") is None


# --- grants by scope ------------------------------------------------------------------------

STORES = {"nw-de": "northwind", "nw-fr": "northwind", "dragon-cn": "dragon", "solo": None}


def test_client_grant_reaches_only_that_clients_stores():
    grants = [Grant("ana", ScopeKind.CLIENT, "northwind", Role.LEAD)]
    assert effective_roles(grants, STORES) == {"nw-de": Role.LEAD, "nw-fr": Role.LEAD}


def test_most_specific_grant_wins_in_both_directions():
    grants = [
        Grant("ana", ScopeKind.ORGANIZATION, "", Role.AGENT),
        Grant("ana", ScopeKind.CLIENT, "northwind", Role.LEAD),
        Grant("ana", ScopeKind.STORE, "nw-fr", Role.AGENT),
        Grant("ana", ScopeKind.STORE, "dragon-cn", Role.LEAD),
    ]
    assert effective_roles(grants, STORES) == {
        "nw-de": Role.LEAD,
        "nw-fr": Role.AGENT,
        "dragon-cn": Role.LEAD,
        "solo": Role.AGENT,
    }


def test_store_without_client_is_not_reached_by_a_client_grant():
    grants = [Grant("ana", ScopeKind.CLIENT, "northwind", Role.AGENT)]
    assert "solo" not in effective_roles(grants, STORES)


@pytest.mark.parametrize(
    ("granter", "role", "allowed"),
    [
        (Role.ADMIN, Role.LEAD, True),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.LEAD, Role.AGENT, True),
        (Role.LEAD, Role.CLIENT, True),
        (Role.LEAD, Role.LEAD, False),
        (Role.LEAD, Role.ADMIN, False),
        (Role.AGENT, Role.AGENT, False),
        (Role.CLIENT, Role.CLIENT, False),
    ],
)
def test_who_may_grant_what(granter, role, allowed):
    person = member(granter)
    if allowed:
        person.authorize_grant(role, [STORE])
    else:
        with pytest.raises(NotAuthorized):
            person.authorize_grant(role, [STORE])


def test_a_grant_may_not_reach_beyond_the_granters_stores():
    lead = member(Role.LEAD)
    with pytest.raises(NotAuthorized, match=OTHER):
        lead.authorize_grant(Role.AGENT, [STORE, OTHER])
    with pytest.raises(NotAuthorized):
        lead.authorize_grant(Role.AGENT, [])
