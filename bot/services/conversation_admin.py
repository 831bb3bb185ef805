"""Running a store's queue: who owns a conversation, reopening one, and the store's mode.

Same rules as the thread actions in `review`: the role is checked in the core, a refusal
is audited, and every change leaves a review action and an audit event.
"""

from __future__ import annotations

from bot.domain.commands import Assign, ChangeStoreMode, Release, Reopen
from bot.domain.errors import InvalidInput, InvalidState, NotFound
from bot.domain.model import ConversationStatus, StoreMode
from bot.domain.permissions import Action, Role
from bot.ports import Clock, UnitOfWork
from bot.services.actions import (
    acting_member,
    authorize_or_audit,
    existing_conversation,
    record_action,
)

MODES = tuple(mode.value for mode in StoreMode)


def parse_mode(raw: str) -> StoreMode:
    try:
        return StoreMode(raw.strip().lower())
    except ValueError:
        raise InvalidInput(f"mode: must be one of {', '.join(MODES)}") from None


async def assign(cmd: Assign, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(uow, member, Action.ASSIGN, conversation.store_id, conversation.id)
        if conversation.status == ConversationStatus.RESOLVED:
            raise InvalidState("conversation is resolved; reopen it first")
        assignee = await acting_member(uow, cmd.assignee_id)
        role = assignee.role_in(conversation.store_id)
        if role is None:
            raise InvalidInput(
                f"assignee: {assignee.id} has no role in store {conversation.store_id}"
            )
        if role == Role.CLIENT:
            raise InvalidInput(
                f"assignee: {assignee.id} is a read-only client of store {conversation.store_id}"
            )
        if conversation.assignee_id == assignee.id:
            raise InvalidState(f"conversation is already assigned to {assignee.id}")
        before = conversation.assignee_id
        conversation.assignee_id = assignee.id
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action="assign",
            kind="assigned",
            before=before,
            after=assignee.id,
        )
        await uow.commit()


async def release(cmd: Release, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow, member, Action.TAKE_OVER, conversation.store_id, conversation.id
        )
        if conversation.status != ConversationStatus.TAKEN_OVER:
            raise InvalidState(f"conversation is {conversation.status.value}, not taken over")
        conversation.status = ConversationStatus.OPEN
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action="release",
            kind="released",
            before=ConversationStatus.TAKEN_OVER.value,
            after=ConversationStatus.OPEN.value,
        )
        await uow.commit()


async def reopen(cmd: Reopen, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(uow, member, Action.REOPEN, conversation.store_id, conversation.id)
        if conversation.status != ConversationStatus.RESOLVED:
            raise InvalidState(f"conversation is {conversation.status.value}, not resolved")
        # Intake files a customer's next message under their one open conversation; a newer
        # one may already exist, and two open ones would split the customer's messages.
        identity = await uow.repo.identity_of(
            conversation.customer_id, conversation.channel_account_id
        )
        if identity is not None:
            await uow.repo.lock_customer(conversation.channel_account_id, identity.external_id)
        newer = await uow.repo.find_open_conversation(
            conversation.store_id, conversation.channel_account_id, conversation.customer_id
        )
        if newer is not None:
            raise InvalidState(
                f"the customer already has an open conversation {newer.id}; continue there"
            )
        conversation.status = ConversationStatus.OPEN
        conversation.resolved_at = None
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action="reopen",
            kind="reopened",
            before=ConversationStatus.RESOLVED.value,
            after=ConversationStatus.OPEN.value,
        )
        await uow.commit()


async def change_store_mode(cmd: ChangeStoreMode, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        store = await uow.repo.get_store(cmd.store_id)
        if store is None:
            raise NotFound(f"store {cmd.store_id} does not exist")
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(uow, member, Action.CHANGE_MODE, store.id, None)
        mode = parse_mode(cmd.mode)
        before = store.mode
        if before == mode:
            raise InvalidState(f"store {store.id} is already in {mode.value} mode")
        store.mode = mode
        await uow.audit(
            "mode_changed",
            actor=member.id,
            store_id=store.id,
            payload={"before": before.value, "after": mode.value},
        )
        await uow.commit()
