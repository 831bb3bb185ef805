"""What people do in a thread: approve, edit, escalate, take over, reply, note, resolve."""

from __future__ import annotations

from bot.domain.commands import (
    AddClientComment,
    AddNote,
    ApproveDraft,
    EditAndSendDraft,
    Escalate,
    RefuseAction,
    RejectDraft,
    Resolve,
    RetryDelivery,
    SendReply,
    TakeOver,
)
from bot.domain.errors import InvalidInput, InvalidState, NotFound
from bot.domain.events import ConversationChanged, OutboxEnqueued
from bot.domain.knowledge import proposal_from_edit
from bot.domain.model import (
    Conversation,
    ConversationStatus,
    Direction,
    Draft,
    DraftStatus,
    Message,
    Route,
    new_id,
)
from bot.domain.permissions import Action
from bot.ports import Clock, UnitOfWork
from bot.services.actions import (
    acting_member,
    authorize_or_audit,
    existing_conversation,
    record_action,
)
from bot.services.replies import discard_pending_drafts, queue_reply
from bot.services.summaries import HANDOVER, request_summary

MAX_TEXT = 20_000


async def _pending_draft(uow: UnitOfWork, draft_id: str) -> tuple[Draft, Conversation]:
    draft = await uow.repo.get_draft(draft_id)
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist")
    conversation = await existing_conversation(uow, draft.conversation_id)
    return draft, conversation


def _check_pending(draft: Draft) -> None:
    if draft.status != DraftStatus.PENDING:
        raise InvalidState(f"draft {draft.id} is already {draft.status.value}")


def _clean_text(text: str, *, may_be_empty: bool = False) -> str:
    text = text.strip()
    if not text and not may_be_empty:
        raise InvalidInput("text: must not be empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text: longer than {MAX_TEXT} characters")
    return text


def _needs_supervisor(conversation: Conversation, draft: Draft | None = None) -> bool:
    return conversation.review_required or (draft is not None and draft.route == Route.REVIEW)


async def _send_draft(
    uow: UnitOfWork, clock: Clock, draft_id: str, actor_id: str, edited: str | None
) -> str:
    async with uow:
        draft, conversation = await _pending_draft(uow, draft_id)
        member = await acting_member(uow, actor_id)
        await authorize_or_audit(
            uow,
            member,
            Action.SEND_REPLY,
            conversation.store_id,
            conversation.id,
            needs_supervisor=_needs_supervisor(conversation, draft),
        )
        _check_pending(draft)
        if edited is None and not draft.confident:
            raise InvalidState("there is no draft text to approve; edit it or write a reply")
        text = _clean_text(edited if edited is not None else draft.text)
        before = draft.text
        message = await queue_reply(
            uow, clock, conversation, text=text, author_id=member.id, draft=draft
        )
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action="edit" if edited is not None else "approve",
            kind="reviewed",
            draft=draft,
            before=before,
            after=text,
        )
        if edited is not None:
            await _propose_knowledge_update(uow, clock, draft, conversation, text, member.id)
        conversation.status = ConversationStatus.WAITING
        await uow.commit()
        return message.id


async def _propose_knowledge_update(
    uow: UnitOfWork, clock: Clock, draft: Draft, conversation: Conversation, sent: str, actor: str
) -> None:
    """An edit before sending says the knowledge behind the draft is missing or stale."""
    question = await uow.repo.get_message(draft.message_id)
    proposal = proposal_from_edit(
        draft, question.text if question else "", conversation.store_id, sent, actor, clock.now()
    )
    if proposal is None:
        return
    uow.repo.add(proposal)
    await uow.audit(
        "knowledge_proposed",
        actor=actor,
        store_id=conversation.store_id,
        conversation_id=conversation.id,
        payload={
            "proposal_id": proposal.id,
            "draft_id": draft.id,
            "article_id": proposal.article_id,
            "version": proposal.article_version,
        },
    )


async def approve_draft(cmd: ApproveDraft, uow: UnitOfWork, clock: Clock) -> str:
    return await _send_draft(uow, clock, cmd.draft_id, cmd.actor_id, None)


async def edit_and_send_draft(cmd: EditAndSendDraft, uow: UnitOfWork, clock: Clock) -> str:
    return await _send_draft(uow, clock, cmd.draft_id, cmd.actor_id, cmd.text)


async def reject_draft(cmd: RejectDraft, uow: UnitOfWork, clock: Clock) -> None:
    """Turning a draft down is a review like approving it: same right, and it counts in
    the review pass rate; the conversation goes back to the team to answer."""
    reason = _clean_text(cmd.reason)
    async with uow:
        draft, conversation = await _pending_draft(uow, cmd.draft_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow,
            member,
            Action.SEND_REPLY,
            conversation.store_id,
            conversation.id,
            needs_supervisor=_needs_supervisor(conversation, draft),
        )
        _check_pending(draft)
        draft.status = DraftStatus.DISCARDED
        draft.decided_by = member.id
        draft.decided_at = clock.now()
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action="reject",
            kind="reviewed",
            draft=draft,
            before=draft.text,
            reason=reason,
        )
        await uow.audit(
            "draft_discarded",
            actor=member.id,
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            payload={"draft_id": draft.id, "why": "rejected"},
        )
        if conversation.status == ConversationStatus.REVIEW:
            conversation.status = ConversationStatus.OPEN
        conversation.updated_at = clock.now()
        uow.record(ConversationChanged(conversation.store_id, conversation.id))
        await uow.commit()


async def escalate(cmd: Escalate, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow, member, Action.ESCALATE, conversation.store_id, conversation.id
        )
        reason = _clean_text(cmd.reason)
        conversation.status = ConversationStatus.ESCALATED
        conversation.review_required = True
        for draft in await uow.repo.pending_drafts(conversation.id):
            draft.route = Route.REVIEW
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action="escalate",
            kind="escalated",
            reason=reason,
        )
        await request_summary(uow, conversation, reason=HANDOVER)
        await uow.commit()


async def take_over(cmd: TakeOver, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow, member, Action.TAKE_OVER, conversation.store_id, conversation.id
        )
        if conversation.status == ConversationStatus.RESOLVED:
            raise InvalidState("conversation is resolved")
        await discard_pending_drafts(
            uow, conversation.id, actor=member.id, store_id=conversation.store_id, why="taken over"
        )
        conversation.status = ConversationStatus.TAKEN_OVER
        conversation.assignee_id = member.id
        await record_action(
            uow, clock, conversation, actor=member.id, action="take_over", kind="taken_over"
        )
        await request_summary(uow, conversation, reason=HANDOVER)
        await uow.commit()


async def send_reply(cmd: SendReply, uow: UnitOfWork, clock: Clock) -> str:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow,
            member,
            Action.SEND_REPLY,
            conversation.store_id,
            conversation.id,
            needs_supervisor=_needs_supervisor(conversation),
        )
        # A file may go without a caption; a reply with nothing at all may not.
        text = _clean_text(cmd.text, may_be_empty=bool(cmd.attachments))
        await discard_pending_drafts(
            uow,
            conversation.id,
            actor=member.id,
            store_id=conversation.store_id,
            why="replied by hand",
        )
        message = await queue_reply(
            uow,
            clock,
            conversation,
            text=text,
            author_id=member.id,
            source_ref=cmd.source_ref,
            attachments=list(cmd.attachments),
        )
        await record_action(
            uow, clock, conversation, actor=member.id, action="reply", kind="replied", after=text
        )
        if conversation.status != ConversationStatus.TAKEN_OVER:
            conversation.status = ConversationStatus.WAITING
        await uow.commit()
        return message.id


async def add_note(cmd: AddNote, uow: UnitOfWork, clock: Clock) -> str:
    return await _write_note(
        uow, clock, cmd.conversation_id, cmd.actor_id, cmd.text, Action.NOTE, cmd.source_ref
    )


async def add_client_comment(cmd: AddClientComment, uow: UnitOfWork, clock: Clock) -> str:
    """Clients read; their one way to speak is a note the team sees, marked as theirs."""
    return await _write_note(
        uow, clock, cmd.conversation_id, cmd.actor_id, cmd.text, Action.COMMENT, None
    )


async def _write_note(
    uow: UnitOfWork,
    clock: Clock,
    conversation_id: str,
    actor_id: str,
    text: str,
    action: Action,
    source_ref: str | None,
) -> str:
    async with uow:
        conversation = await existing_conversation(uow, conversation_id)
        member = await acting_member(uow, actor_id)
        await authorize_or_audit(uow, member, action, conversation.store_id, conversation.id)
        body = _clean_text(text)
        if action == Action.COMMENT:
            body = f"Client comment: {body}"
        note = Message(
            id=new_id(),
            conversation_id=conversation.id,
            direction=Direction.NOTE,
            text=body,
            created_at=clock.now(),
            author_id=member.id,
            external_id=source_ref,
        )
        uow.repo.add(note)
        await record_action(
            uow,
            clock,
            conversation,
            actor=member.id,
            action=action.value,
            kind="noted",
            after=note.text,
        )
        await uow.commit()
        return note.id


async def resolve(cmd: Resolve, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow, member, Action.RESOLVE, conversation.store_id, conversation.id
        )
        if conversation.status == ConversationStatus.RESOLVED:
            raise InvalidState("conversation is already resolved")
        await discard_pending_drafts(
            uow, conversation.id, actor=member.id, store_id=conversation.store_id, why="resolved"
        )
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = clock.now()
        await record_action(
            uow, clock, conversation, actor=member.id, action="resolve", kind="resolved"
        )
        await uow.commit()


async def refuse_action(cmd: RefuseAction, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        conversation = await existing_conversation(uow, cmd.conversation_id)
        await uow.audit(
            "denied",
            actor=cmd.actor_id,
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            payload={"action": cmd.action, "reason": cmd.reason},
        )
        uow.record(ConversationChanged(conversation.store_id, conversation.id))
        await uow.commit()


async def retry_delivery(cmd: RetryDelivery, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        item = await uow.repo.get_outbox_item(cmd.outbox_id)
        if item is None or item.store_id is None:
            raise NotFound(f"outbox item {cmd.outbox_id} does not exist")
        member = await acting_member(uow, cmd.actor_id)
        await authorize_or_audit(
            uow, member, Action.RETRY_DELIVERY, item.store_id, item.conversation_id
        )
        if not await uow.repo.revive_outbox_item(item.id):
            raise InvalidState(f"outbox item {item.id} is not dead-lettered")
        await uow.audit(
            "delivery_retried",
            actor=member.id,
            store_id=item.store_id,
            conversation_id=item.conversation_id,
            payload={"outbox_id": item.id, "key": item.key, "last_error": item.last_error},
        )
        uow.record(OutboxEnqueued(item.topic))
        if item.conversation_id:
            uow.record(ConversationChanged(item.store_id, item.conversation_id))
        await uow.commit()
