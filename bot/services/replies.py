"""Queueing a reply to the customer: one outbound message, one outbox row, one key."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import NotFound
from bot.domain.model import (
    Conversation,
    DeliveryStatus,
    Direction,
    Draft,
    DraftStatus,
    Message,
    new_id,
)
from bot.ports import Clock, UnitOfWork
from bot.services import topics


async def queue_reply(
    uow: UnitOfWork,
    clock: Clock,
    conversation: Conversation,
    *,
    text: str,
    author_id: str,
    draft: Draft | None = None,
    source_ref: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> Message:
    """Write the outbound message and its delivery in the caller's transaction."""
    now = clock.now()
    identity = await uow.repo.identity_of(conversation.customer_id, conversation.channel_account_id)
    if identity is None:
        raise NotFound(f"customer of conversation {conversation.id} has no identity on its channel")
    message = Message(
        id=new_id(),
        conversation_id=conversation.id,
        direction=Direction.OUT,
        text=text,
        created_at=now,
        channel_account_id=conversation.channel_account_id,
        author_id=author_id,
        delivery_status=DeliveryStatus.QUEUED,
        external_id=source_ref,
        attachments=list(attachments or []),
    )
    uow.repo.add(message)
    if draft is not None:
        draft.status = DraftStatus.APPROVED
        draft.decided_by = author_id
        draft.decided_at = now
        draft.reply_message_id = message.id
    key = f"send:{draft.id}" if draft is not None else f"send:{message.id}"
    await uow.enqueue(
        topics.CUSTOMER_SEND,
        key=key,
        target=f"account:{conversation.channel_account_id}",
        payload={
            "idempotency_key": key,
            "channel_account_id": conversation.channel_account_id,
            "conversation_id": conversation.id,
            "message_id": message.id,
            "customer_external_id": identity.external_id,
            "text": text,
            "in_reply_to": await _inbound_external_id(uow, draft),
            "attachments": list(attachments or []),
        },
        store_id=conversation.store_id,
        conversation_id=conversation.id,
    )
    await uow.audit(
        "reply_queued",
        actor=author_id,
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        payload={
            "message_id": message.id,
            "draft_id": draft.id if draft else None,
            "idempotency_key": key,
        },
    )
    return message


async def discard_pending_drafts(
    uow: UnitOfWork, conversation_id: str, *, actor: str, store_id: str, why: str
) -> None:
    for draft in await uow.repo.pending_drafts(conversation_id):
        draft.status = DraftStatus.DISCARDED
        await uow.audit(
            "draft_discarded",
            actor=actor,
            store_id=store_id,
            conversation_id=conversation_id,
            payload={"draft_id": draft.id, "why": why},
        )


async def _inbound_external_id(uow: UnitOfWork, draft: Draft | None) -> str | None:
    if draft is None:
        return None
    inbound = await uow.repo.get_message(draft.message_id)
    return inbound.external_id if inbound else None
