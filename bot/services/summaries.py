"""Conversation summaries for the thread header and for handovers.

A summary is asked for through the outbox (so a slow model never holds a button press or an
intake transaction) when a conversation passes the store's threshold of customer messages,
and on every escalation or takeover, so the person taking over reads it first.
"""

from __future__ import annotations

from bot.domain.commands import RecordDeliveryFailure, SummarizeConversation
from bot.domain.errors import NotFound
from bot.domain.events import ConversationChanged
from bot.domain.intents import OUT_OF_SCOPE
from bot.domain.model import Conversation, Direction, new_id
from bot.domain.triage import Triage, triage_text
from bot.ports import Clock, OutboxItem, Summarizer, SummaryRequest, Triager, UnitOfWork
from bot.services import topics
from bot.services.messagebus import MessageBus

SYSTEM_ACTOR = "storedesk"
LONG = "long"
HANDOVER = "handover"


def summary_due(customer_messages: int, summary_after: int | None) -> bool:
    """Every customer message from the threshold on refreshes the header's summary."""
    return bool(summary_after) and customer_messages >= (summary_after or 0)


async def request_summary(uow: UnitOfWork, conversation: Conversation, *, reason: str) -> None:
    await uow.enqueue(
        topics.SUMMARIZE,
        key=f"summary:{conversation.id}:{reason}:{new_id()}",
        target=f"pipeline:{conversation.store_id}",
        payload={"conversation_id": conversation.id, "reason": reason},
        store_id=conversation.store_id,
        conversation_id=conversation.id,
    )


async def summarize_conversation(
    cmd: SummarizeConversation,
    uow: UnitOfWork,
    clock: Clock,
    summarizer: Summarizer | None,
    triager: Triager | None = None,
) -> str | None:
    async with uow.reading() as repo:
        conversation = await repo.get_conversation(cmd.conversation_id)
        store = await repo.get_store(conversation.store_id) if conversation else None
        if conversation is None or store is None:
            raise NotFound(f"conversation {cmd.conversation_id} does not exist")
        messages = await repo.conversation_messages(conversation.id)
    inbound = [m for m in messages if m.direction == Direction.IN]
    up_to_date = cmd.reason == LONG and conversation.summary_messages == len(inbound)
    if summarizer is None or not inbound or up_to_date:
        await _close(uow, cmd)
        return None
    default_language = store.languages[0] if store.languages else "en"
    readings: list[Triage] = []
    for message in inbound:
        if triager is not None:
            readings.append(await triager.triage(store, message.text))
        else:
            readings.append(triage_text(message.text, default_language=default_language))
    intents = [r.intent.label for r in readings if r.intent and r.intent.label != OUT_OF_SCOPE]
    entities: dict[str, list[str]] = {}
    for reading in readings:
        for name, values in reading.entities.items():
            entities.setdefault(name, [])
            entities[name].extend(v for v in values if v not in entities[name])
    summary = await summarizer.summarize(
        SummaryRequest(
            store=store,
            language=readings[-1].language,
            turns=[(m.direction.value, m.text) for m in messages],
            intents=list(dict.fromkeys(intents)),
            entities=entities,
            reason=cmd.reason,
        )
    )
    async with uow:
        current = await uow.repo.get_conversation(conversation.id)
        assert current is not None
        current.summary = summary.text
        current.summary_messages = len(inbound)
        current.summarized_at = clock.now()
        await uow.audit(
            "summarized",
            actor=SYSTEM_ACTOR,
            store_id=store.id,
            conversation_id=conversation.id,
            payload={
                "reason": cmd.reason,
                "source": summary.source,
                "language": summary.language,
                "customer_messages": len(inbound),
                "chars": len(summary.text),
                "note": summary.note,
            },
        )
        if cmd.outbox_item_id is not None:
            await uow.outbox_done(cmd.outbox_item_id)
        uow.record(ConversationChanged(store.id, conversation.id))
        await uow.commit()
    return summary.text


async def _close(uow: UnitOfWork, cmd: SummarizeConversation) -> None:
    if cmd.outbox_item_id is None:
        return
    async with uow:
        await uow.outbox_done(cmd.outbox_item_id)
        await uow.commit()


class SummarizeJob:
    """The outbox row behind a summary; giving up only costs the header its summary."""

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus

    async def deliver(self, item: OutboxItem) -> None:
        await self._bus.handle(
            SummarizeConversation(
                item.payload["conversation_id"], item.payload["reason"], outbox_item_id=item.id
            )
        )

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._bus.handle(RecordDeliveryFailure(item.id, item.topic, error))
