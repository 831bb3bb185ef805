"""`assist` mode: a low-risk draft the store allows goes out by itself after a short hold.

The hold is an outbox job due when it ends, so it survives restarts and runs once. Until
then the draft is an ordinary pending draft: a person may approve, edit, escalate, take
over or cancel the automatic send; any of those wins over the hold.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.commands import CancelAutoSend, RecordDeliveryFailure, ReleaseHeldDraft
from bot.domain.errors import InvalidState, NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import (
    Conversation,
    ConversationStatus,
    Draft,
    DraftStatus,
    Route,
    StoreMode,
)
from bot.domain.permissions import Action
from bot.ports import Clock, OutboxItem, UnitOfWork
from bot.services import topics
from bot.services.actions import acting_member, authorize_or_audit
from bot.services.messagebus import MessageBus
from bot.services.replies import queue_reply

AUTO_ACTOR = "storedesk:auto"
DEFAULT_HOLD_SECONDS = 60.0
_SENDS_ALONE = (StoreMode.ASSIST, StoreMode.AUTO)
_PERSON_OWNS = (
    ConversationStatus.TAKEN_OVER,
    ConversationStatus.ESCALATED,
    ConversationStatus.RESOLVED,
    ConversationStatus.REVIEW,
)


async def hold_auto_send(
    uow: UnitOfWork, draft: Draft, conversation: Conversation, hold_seconds: float
) -> None:
    """In the drafting transaction: schedule the release and say so in the record."""
    await uow.enqueue(
        topics.ASSIST_RELEASE,
        key=f"release:{draft.id}",
        target=f"draft:{draft.id}",
        payload={"draft_id": draft.id},
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        delay_seconds=hold_seconds,
    )
    await uow.audit(
        "auto_send_held",
        actor=AUTO_ACTOR,
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        payload={
            "draft_id": draft.id,
            "hold_seconds": hold_seconds,
            "until": (draft.created_at + timedelta(seconds=hold_seconds)).isoformat(),
        },
    )


async def release_held_draft(cmd: ReleaseHeldDraft, uow: UnitOfWork, clock: Clock) -> bool:
    """Send the held draft if it is still pending, still auto and nobody owns the thread."""
    async with uow:
        draft = await uow.repo.get_draft(cmd.draft_id)
        conversation = await uow.repo.get_conversation(draft.conversation_id) if draft else None
        store = await uow.repo.get_store(conversation.store_id) if conversation else None
        sent = False
        if (
            draft is not None
            and conversation is not None
            and store is not None
            and draft.status == DraftStatus.PENDING
            and draft.route == Route.AUTO
            and store.mode in _SENDS_ALONE
            and conversation.status not in _PERSON_OWNS
        ):
            await queue_reply(
                uow, clock, conversation, text=draft.text, author_id=AUTO_ACTOR, draft=draft
            )
            conversation.status = ConversationStatus.WAITING
            conversation.updated_at = clock.now()
            uow.record(ConversationChanged(conversation.store_id, conversation.id))
            sent = True
        if cmd.outbox_item_id is not None:
            await uow.outbox_done(cmd.outbox_item_id)
        await uow.commit()
    return sent


async def cancel_auto_send(cmd: CancelAutoSend, uow: UnitOfWork, clock: Clock) -> None:
    """Keep the draft, but a person must now send it (any agent may: it only adds care)."""
    async with uow:
        draft = await uow.repo.get_draft(cmd.draft_id)
        if draft is None:
            raise NotFound(f"draft {cmd.draft_id} does not exist")
        conversation = await uow.repo.get_conversation(draft.conversation_id)
        assert conversation is not None
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow, member, Action.ESCALATE, conversation.store_id, conversation.id
        )
        if draft.status != DraftStatus.PENDING or draft.route != Route.AUTO:
            raise InvalidState("this draft is not waiting to be sent automatically")
        draft.route = Route.DRAFT
        await uow.audit(
            "auto_send_cancelled",
            actor=member.id,
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            payload={"draft_id": draft.id},
        )
        uow.record(ConversationChanged(conversation.store_id, conversation.id))
        await uow.commit()


class AssistReleaseJob:
    """The outbox topic behind a hold: due when the hold ends."""

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus

    async def deliver(self, item: OutboxItem) -> None:
        await self._bus.handle(ReleaseHeldDraft(item.payload["draft_id"], item.id))

    async def give_up(self, item: OutboxItem, error: str) -> None:
        """The draft stays pending for a person; the failure is shown like any other."""
        await self._bus.handle(RecordDeliveryFailure(item.id, item.topic, error))
