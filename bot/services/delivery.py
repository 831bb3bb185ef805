"""Closing the loop on outbound replies: record success, or a dead letter people can see."""

from __future__ import annotations

from bot.domain.commands import RecordDelivery, RecordDeliveryFailure
from bot.domain.errors import NotFound
from bot.domain.events import ConversationChanged
from bot.domain.model import DeliveryStatus
from bot.ports import UnitOfWork

WORKER_ACTOR = "storedesk:outbox"


async def record_delivery(cmd: RecordDelivery, uow: UnitOfWork) -> None:
    async with uow:
        message = await uow.repo.get_message(cmd.message_id)
        if message is None:
            raise NotFound(f"message {cmd.message_id} does not exist")
        conversation = await uow.repo.get_conversation(message.conversation_id)
        assert conversation is not None
        message.delivery_status = DeliveryStatus.SENT
        await uow.outbox_done(cmd.outbox_item_id)
        await uow.audit(
            "sent",
            actor=WORKER_ACTOR,
            store_id=conversation.store_id,
            conversation_id=conversation.id,
            payload={"message_id": message.id, "outbox_id": cmd.outbox_item_id},
        )
        uow.record(ConversationChanged(conversation.store_id, conversation.id))
        await uow.commit()


async def record_delivery_failure(cmd: RecordDeliveryFailure, uow: UnitOfWork) -> None:
    async with uow:
        item = await uow.repo.get_outbox_item(cmd.outbox_item_id)
        if item is None:
            raise NotFound(f"outbox item {cmd.outbox_item_id} does not exist")
        await uow.repo.kill_outbox(item.id, cmd.error)
        if cmd.message_id is not None:
            message = await uow.repo.get_message(cmd.message_id)
            if message is not None:
                message.delivery_status = DeliveryStatus.FAILED
        await uow.audit(
            "delivery_failed",
            actor=WORKER_ACTOR,
            store_id=item.store_id,
            conversation_id=item.conversation_id,
            payload={
                "outbox_id": item.id,
                "topic": cmd.topic,
                "key": item.key,
                "message_id": cmd.message_id,
                "error": cmd.error[:500],
            },
        )
        if item.store_id and item.conversation_id:
            uow.record(ConversationChanged(item.store_id, item.conversation_id))
        await uow.commit()
