"""Shared steps of every action a person takes on a conversation.

Who is acting, whether their role allows it (a refusal is evidence too), and the record of
what they did: used by review and conversation administration alike.
"""

from __future__ import annotations

from typing import Any

from bot.domain.errors import NotAuthorized, NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import Conversation, Draft, ReviewAction, new_id
from bot.domain.permissions import Action, Member
from bot.ports import Clock, UnitOfWork


async def acting_member(uow: UnitOfWork, member_id: str) -> Member:
    member = await uow.repo.get_member(member_id)
    if member is None:
        # Someone outside the team pressed a button: refuse, and keep the evidence.
        return Member(id=member_id, name=member_id, roles={})
    return member


async def authorize_or_audit(
    uow: UnitOfWork,
    member: Member,
    action: Action,
    store_id: str,
    conversation_id: str | None,
    *,
    needs_supervisor: bool = False,
) -> None:
    """Check the role; a refusal is itself evidence, so it is audited and committed."""
    try:
        member.authorize(action, store_id, needs_supervisor=needs_supervisor)
    except NotAuthorized as refusal:
        await uow.rollback()
        await uow.audit(
            "denied",
            actor=member.id,
            store_id=store_id,
            conversation_id=conversation_id,
            payload={"action": action.value, "reason": str(refusal)},
        )
        await uow.commit()
        raise


async def existing_conversation(uow: UnitOfWork, conversation_id: str) -> Conversation:
    conversation = await uow.repo.get_conversation(conversation_id)
    if conversation is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    return conversation


async def record_action(
    uow: UnitOfWork,
    clock: Clock,
    conversation: Conversation,
    *,
    actor: str,
    action: str,
    kind: str,
    draft: Draft | None = None,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """`extra` adds to the audit payload what only this kind of action knows."""
    now = clock.now()
    uow.repo.add(
        ReviewAction(
            id=new_id(),
            conversation_id=conversation.id,
            draft_id=draft.id if draft else None,
            actor_id=actor,
            action=action,
            before=before,
            after=after,
            reason=reason,
            at=now,
        )
    )
    await uow.audit(
        kind,
        actor=actor,
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        payload={
            "action": action,
            "draft_id": draft.id if draft else None,
            "before": before,
            "after": after,
            "reason": reason,
            "citations": draft.citations if draft else [],
            **(extra or {}),
        },
    )
    conversation.updated_at = now
    uow.record(ConversationChanged(conversation.store_id, conversation.id))
