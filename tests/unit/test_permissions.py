"""Who may do what, per store: the matrix every surface relies on."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotAuthorized
from bot.domain.permissions import Action, Member, Role

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
}
LEAD_MAY = AGENT_MAY | {Action.RETRY_DELIVERY, Action.CHANGE_MODE, Action.MANAGE_KNOWLEDGE}
MATRIX = {
    Role.AGENT: AGENT_MAY,
    Role.LEAD: LEAD_MAY,
    Role.ADMIN: LEAD_MAY,
    Role.CLIENT: {Action.VIEW},
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


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.VIEW])
def test_client_can_only_view(action):
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
