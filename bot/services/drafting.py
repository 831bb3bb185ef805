"""Triage, retrieval and drafting of one inbound message, then the routing decision."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.commands import DraftReply
from bot.domain.errors import NotFound
from bot.domain.events import ConversationChanged
from bot.domain.language import detect_language
from bot.domain.model import ConversationStatus, Draft, DraftStatus, Route, new_id
from bot.domain.risk_policy import assess_risk, decide_route
from bot.ports import Clock, Drafter, DraftRequest, KnowledgeScope, Retriever, UnitOfWork
from bot.services.replies import discard_pending_drafts, queue_reply

AUTO_ACTOR = "storedesk:auto"
SYSTEM_ACTOR = "storedesk"


@dataclass(frozen=True)
class DraftOutcome:
    draft_id: str | None
    route: Route | None


async def draft_reply(
    cmd: DraftReply,
    uow: UnitOfWork,
    clock: Clock,
    retriever: Retriever,
    drafter: Drafter,
) -> DraftOutcome:
    outbox_item_id = cmd.outbox_item_id
    # Read what we need, then do the slow work outside any write transaction.
    async with uow.reading() as repo:
        message = await repo.get_message(cmd.message_id)
        if message is None:
            raise NotFound(f"message {cmd.message_id} does not exist")
        conversation = await repo.get_conversation(message.conversation_id)
        store = await repo.get_store(conversation.store_id) if conversation else None
        customer = await repo.get_customer(conversation.customer_id) if conversation else None
        if conversation is None or store is None or customer is None:
            raise NotFound(f"conversation of message {cmd.message_id} is incomplete")
    default_language = store.languages[0] if store.languages else "en"
    language = detect_language(message.text, default=default_language)
    risk = assess_risk(message.text)
    hits = await retriever.search(
        KnowledgeScope.for_store(store, language, clock.now()), message.text
    )
    proposal = await drafter.draft(
        DraftRequest(
            store=store,
            customer_name=customer.display_name,
            text=message.text,
            language=language,
            hits=hits,
        )
    )
    confident = proposal.text is not None
    route = decide_route(
        store.mode,
        risk,
        confident=confident,
        under_review=conversation.review_required
        or conversation.status == ConversationStatus.ESCALATED,
    )

    async with uow:
        conversation = await uow.repo.get_conversation(message.conversation_id)
        assert conversation is not None
        await uow.audit(
            "triaged",
            actor=SYSTEM_ACTOR,
            store_id=store.id,
            conversation_id=conversation.id,
            payload={
                "message_id": message.id,
                "language": language,
                "risk_reasons": list(risk.reasons),
                "route": route.value,
            },
        )
        if conversation.status in (ConversationStatus.TAKEN_OVER, ConversationStatus.RESOLVED):
            # A person owns the conversation: no draft competes with them.
            if outbox_item_id is not None:
                await uow.outbox_done(outbox_item_id)
            uow.record(ConversationChanged(store.id, conversation.id))
            await uow.commit()
            return DraftOutcome(draft_id=None, route=None)

        await discard_pending_drafts(
            uow, conversation.id, actor=SYSTEM_ACTOR, store_id=store.id, why="superseded"
        )
        draft = Draft(
            id=new_id(),
            conversation_id=conversation.id,
            message_id=message.id,
            text=proposal.text or "",
            language=language,
            route=route,
            status=DraftStatus.PENDING,
            created_at=clock.now(),
            confident=confident,
            citations=proposal.citations,
            risk_reasons=list(risk.reasons),
            note=proposal.note,
        )
        uow.repo.add(draft)
        await uow.audit(
            "drafted",
            actor=SYSTEM_ACTOR,
            store_id=store.id,
            conversation_id=conversation.id,
            payload={
                "draft_id": draft.id,
                "message_id": message.id,
                "confident": confident,
                "knowledge": [
                    {"article_id": h.article_id, "version": h.version, "score": round(h.score, 4)}
                    for h in hits
                ],
                "citations": proposal.citations,
                "note": proposal.note,
            },
        )
        if route == Route.REVIEW:
            conversation.review_required = True
            conversation.status = ConversationStatus.REVIEW
        elif conversation.status != ConversationStatus.ESCALATED:
            conversation.status = ConversationStatus.OPEN
        if route == Route.AUTO:
            await queue_reply(
                uow, clock, conversation, text=draft.text, author_id=AUTO_ACTOR, draft=draft
            )
            conversation.status = ConversationStatus.WAITING
        conversation.updated_at = clock.now()
        if outbox_item_id is not None:
            await uow.outbox_done(outbox_item_id)
        uow.record(ConversationChanged(store.id, conversation.id))
        await uow.commit()
    return DraftOutcome(draft_id=draft.id, route=route)
