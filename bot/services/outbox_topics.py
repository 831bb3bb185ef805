"""What each outbox topic means: the job behind a row and what giving up on it records."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.commands import DraftReply, RecordDelivery, RecordDeliveryFailure
from bot.ports import (
    CustomerChannel,
    DeliveryError,
    DeliveryReconciler,
    IdempotentChannel,
    OutboundReply,
    OutboxItem,
    ReplyAttachment,
)
from bot.services.messagebus import MessageBus


class DraftJob:
    """Drafting runs from the outbox so a crash after intake never loses a message."""

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus

    async def deliver(self, item: OutboxItem) -> None:
        await self._bus.handle(DraftReply(item.payload["message_id"], outbox_item_id=item.id))

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._bus.handle(RecordDeliveryFailure(item.id, item.topic, error))


class CustomerSend:
    """Sends a reply through the connector of the account the conversation came from."""

    def __init__(
        self, bus: MessageBus, channel_for: Callable[[str], CustomerChannel | None]
    ) -> None:
        self._bus = bus
        self._channel_for = channel_for

    async def deliver(self, item: OutboxItem) -> None:
        payload = item.payload
        channel = self._channel_for(payload["channel_account_id"])
        if channel is None:
            raise DeliveryError(
                f"no connector for account {payload['channel_account_id']}", permanent=True
            )
        reply = OutboundReply(
            idempotency_key=payload["idempotency_key"],
            channel_account_id=payload["channel_account_id"],
            conversation_id=payload["conversation_id"],
            message_id=payload["message_id"],
            customer_external_id=payload["customer_external_id"],
            text=payload["text"],
            in_reply_to=payload.get("in_reply_to"),
            attachments=tuple(
                ReplyAttachment(a["kind"], a["name"], a["path"], a.get("size"))
                for a in payload.get("attachments") or ()
            ),
        )
        if not item.in_doubt or await _resend_is_safe(channel, reply):
            await channel.send(reply)
        await self._bus.handle(RecordDelivery(item.id, payload["message_id"]))

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._bus.handle(
            RecordDeliveryFailure(
                item.id, item.topic, error, message_id=item.payload.get("message_id")
            )
        )


UNSURE = (
    "delivery unsure: a worker stopped during the send and this channel cannot tell whether "
    "it arrived; not resent automatically (check with the customer, then retry)"
)


async def _resend_is_safe(channel: CustomerChannel, reply: OutboundReply) -> bool:
    """After an interrupted send: False when it already arrived; raises when nobody can tell.

    Sending twice is worse than asking a person, so a channel that can neither check nor
    deduplicate leaves the reply in the thread as failed, with a retry button.
    """
    if isinstance(channel, DeliveryReconciler):
        return not await channel.already_delivered(reply)
    if isinstance(channel, IdempotentChannel) and channel.idempotent_resend:
        return True
    raise DeliveryError(UNSURE, permanent=True)
