"""Triage, retrieval and drafting of one inbound message, then the routing decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.catalog import RecommendationRecord
from bot.domain.commands import DraftReply
from bot.domain.customer_keys import scope_of
from bot.domain.errors import NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import ConversationStatus, Draft, DraftStatus, Route, StoreMode, new_id
from bot.domain.risk_policy import decide_route
from bot.domain.routing import RoutingPolicy
from bot.domain.triage import triage_text
from bot.ports import (
    Clock,
    Drafter,
    DraftRequest,
    KnowledgeScope,
    Lookup,
    Retriever,
    Triager,
    UnitOfWork,
)
from bot.services import customer_linking, lookups, recommendations
from bot.services.assist_hold import AUTO_ACTOR, DEFAULT_HOLD_SECONDS, hold_auto_send
from bot.services.replies import discard_pending_drafts, queue_reply
from bot.services.routing import route_conversation

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
    lookup_for: Callable[[str], Lookup | None] = lambda _store_id: None,
    triager: Triager | None = None,
    assist_hold_for: Callable[[str], float] = lambda _store_id: DEFAULT_HOLD_SECONDS,
    recommender: recommendations.Recommender | None = None,
    routing: RoutingPolicy | None = None,
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
        identity = await repo.identity_of(customer.id, conversation.channel_account_id)
    # On email channels the customer's address finds their orders when the text names none.
    address = identity.external_id if identity and "@" in identity.external_id else None
    account_id = message.channel_account_id or conversation.channel_account_id
    if triager is not None:
        triage = await triager.triage(store, message.text, channel_account_id=account_id)
    else:  # rules only: no intent, so nothing qualifies for auto-send
        default_language = store.languages[0] if store.languages else "en"
        triage = triage_text(
            message.text, default_language=default_language, channel_account_id=account_id
        )
    language, risk = triage.language, triage.risk
    hits = await retriever.search(
        KnowledgeScope.for_store(store, language, clock.now()), message.text
    )
    entities = triage.entities
    lookup = lookup_for(store.id)
    facts = (
        await lookups.look_up_orders(lookup, store.id, entities, customer_email=address)
        if lookup
        else []
    )
    intent = triage.intent.label if triage.intent else ""
    recommended = (
        await recommender.recommend(uow, store, intent, message.text) if recommender else None
    )
    proposal = await drafter.draft(
        DraftRequest(
            store=store,
            customer_name=customer.display_name,
            text=message.text,
            language=language,
            hits=hits,
            facts=facts,
            lookup=lookup,
            entities=entities,
            intent=intent,
            recommendations=recommended.items if recommended else (),
        )
    )
    note = "\n".join(
        part
        for part in (
            proposal.note,
            lookups.thread_line(facts),
            recommendations.thread_lines(recommended) if recommended else "",
        )
        if part
    )
    confident = proposal.text is not None
    route = decide_route(
        store.mode,
        risk,
        confident=confident,
        under_review=bool(proposal.risk_flags)
        or conversation.review_required
        or conversation.status == ConversationStatus.ESCALATED,
    )

    async with uow:
        if await uow.repo.message_has_draft(message.id):
            # Another worker drafted it first (this row was taken over): nothing left to do.
            if outbox_item_id is not None:
                await uow.outbox_done(outbox_item_id)
            await uow.commit()
            return DraftOutcome(draft_id=None, route=None)
        conversation = await uow.repo.get_conversation(message.conversation_id)
        assert conversation is not None
        await uow.audit(
            "triaged",
            actor=SYSTEM_ACTOR,
            store_id=store.id,
            conversation_id=conversation.id,
            payload={**triage.payload(), "message_id": message.id, "route": route.value},
        )
        for fact in facts:
            await uow.audit(
                "looked_up",
                actor=SYSTEM_ACTOR,
                store_id=store.id,
                conversation_id=conversation.id,
                payload={"message_id": message.id, **lookups.evidence(fact)},
            )
        await customer_linking.link_lookups(
            uow,
            scope=scope_of(store.client_id, store.id),
            store_id=store.id,
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            customer_name=customer.display_name,
            facts=facts,
        )
        if routing is not None:  # the language and intent are known now
            intent = triage.intent.label if triage.intent else None
            await route_conversation(
                uow, clock, routing, conversation, language=language, intent=intent
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
            risk_reasons=[*risk.reasons, *proposal.risk_flags],
            note=note,
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
                "note": note,
                **({"products": recommendations.evidence(recommended)} if recommended else {}),
            },
        )
        if recommended is not None:
            uow.repo.add(
                RecommendationRecord(
                    tag=recommended.tag,
                    draft_id=draft.id,
                    store_id=store.id,
                    conversation_id=conversation.id,
                    need=recommended.need,
                    items=recommendations.evidence(recommended)["recommended"],
                    created_at=clock.now(),
                )
            )
        if route == Route.REVIEW:
            conversation.review_required = True
            conversation.status = ConversationStatus.REVIEW
        elif conversation.status != ConversationStatus.ESCALATED:
            conversation.status = ConversationStatus.OPEN
        if route == Route.AUTO and store.mode == StoreMode.ASSIST:
            await hold_auto_send(uow, draft, conversation, assist_hold_for(store.id))
        elif route == Route.AUTO:
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
