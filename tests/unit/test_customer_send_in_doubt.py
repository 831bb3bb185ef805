"""A send interrupted by a dying worker is reconciled, resent only where harmless, or shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.commands import RecordDelivery
from bot.ports import DeliveryError, OutboundReply, OutboxItem
from bot.services.outbox_topics import UNSURE, CustomerSend


class RecordingBus:
    def __init__(self) -> None:
        self.handled: list[object] = []

    async def handle(self, command: object) -> None:
        self.handled.append(command)


class PlainChannel:
    """Can neither check nor deduplicate (like most chat platforms' send APIs)."""

    def __init__(self) -> None:
        self.sent: list[OutboundReply] = []

    async def send(self, reply: OutboundReply) -> None:
        self.sent.append(reply)


class CheckingChannel(PlainChannel):
    def __init__(self, delivered: bool) -> None:
        super().__init__()
        self.delivered = delivered
        self.asked: list[str] = []

    async def already_delivered(self, reply: OutboundReply) -> bool:
        self.asked.append(reply.idempotency_key)
        return self.delivered


class DedupingChannel(PlainChannel):
    idempotent_resend = True


def item(*, in_doubt: bool) -> OutboxItem:
    payload: dict[str, Any] = {
        "idempotency_key": "reply:m-1",
        "channel_account_id": "acc",
        "conversation_id": "c-1",
        "message_id": "m-1",
        "customer_external_id": "cust",
        "text": "Your parcel left today.",
    }
    now = datetime(2026, 11, 23, tzinfo=UTC)
    return OutboxItem(
        id=7,
        key="reply:m-1",
        topic="customer.send",
        target="acc",
        payload=payload,
        status="sending",
        attempts=0,
        max_attempts=4,
        next_attempt_at=now,
        in_doubt=in_doubt,
    )


async def deliver(channel: PlainChannel, *, in_doubt: bool) -> RecordingBus:
    bus = RecordingBus()
    await CustomerSend(bus, lambda _account: channel).deliver(item(in_doubt=in_doubt))  # type: ignore[arg-type]
    return bus


async def test_a_first_attempt_sends_without_asking() -> None:
    channel = CheckingChannel(delivered=True)
    bus = await deliver(channel, in_doubt=False)
    assert len(channel.sent) == 1
    assert channel.asked == []
    assert bus.handled == [RecordDelivery(7, "m-1")]


async def test_an_interrupted_send_that_arrived_is_recorded_not_repeated() -> None:
    channel = CheckingChannel(delivered=True)
    bus = await deliver(channel, in_doubt=True)
    assert channel.asked == ["reply:m-1"]
    assert channel.sent == []
    assert bus.handled == [RecordDelivery(7, "m-1")]


async def test_an_interrupted_send_that_never_arrived_is_sent() -> None:
    channel = CheckingChannel(delivered=False)
    bus = await deliver(channel, in_doubt=True)
    assert len(channel.sent) == 1
    assert bus.handled == [RecordDelivery(7, "m-1")]


async def test_a_deduplicating_receiver_gets_the_resend() -> None:
    channel = DedupingChannel()
    await deliver(channel, in_doubt=True)
    assert len(channel.sent) == 1


async def test_a_channel_that_cannot_tell_is_left_for_a_person() -> None:
    channel = PlainChannel()
    with pytest.raises(DeliveryError) as failure:
        await deliver(channel, in_doubt=True)
    assert failure.value.permanent
    assert str(failure.value) == UNSURE
    assert channel.sent == []
