"""Assigning a new conversation by the store's routing rules, once its language is known."""

from __future__ import annotations

from bot.domain.model import Conversation
from bot.domain.permissions import Action
from bot.domain.routing import RoutingPolicy, least_loaded
from bot.ports import Clock, UnitOfWork
from bot.services.actions import record_action

ROUTING_ACTOR = "storedesk:routing"


async def route_conversation(
    uow: UnitOfWork,
    clock: Clock,
    policy: RoutingPolicy,
    conversation: Conversation,
    *,
    language: str | None,
    intent: str | None,
) -> str | None:
    """Assign an unassigned open conversation to the least-loaded eligible member of the
    first matching rule that has one; returns the assignee, or None (it stays unassigned).

    Runs in the caller's transaction; the assignment is audited with the rule that chose it.
    """
    if conversation.assignee_id is not None or not conversation.is_open:
        return None
    rules = policy.rules.get(conversation.store_id, ())
    if not rules:
        return None
    store_id = conversation.store_id
    members = {m.id: m for m in await uow.repo.store_members(store_id)}
    for rule in rules:
        if not rule.matches(language, intent):
            continue
        eligible = [
            member_id
            for member_id in policy.candidates(rule, language, list(members))
            if member_id in members and members[member_id].can(Action.SEND_REPLY, store_id)
        ]
        chosen = least_loaded(eligible, await uow.repo.open_assignment_counts(eligible))
        if chosen is None:
            continue
        conversation.assignee_id = chosen
        await record_action(
            uow,
            clock,
            conversation,
            actor=ROUTING_ACTOR,
            action="assign",
            kind="assigned",
            after=chosen,
            reason=f"routing rule {rule.name}",
            extra={"rule": rule.name, "language": language, "intent": intent},
        )
        return chosen
    return None
