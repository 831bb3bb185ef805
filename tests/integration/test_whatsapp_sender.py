"""The WhatsApp sender against the fake Graph API: what each Graph answer means for retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.ports import DeliveryError, OutboundReply
from connectors.whatsapp import WhatsAppAccount
from connectors.whatsapp.sender import WhatsAppSender
from tests.support.fake_graph import TOKEN, FakeGraph

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    server = FakeGraph()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sender(graph) -> AsyncIterator[WhatsAppSender]:
    account = WhatsAppAccount(
        "wa", "s", "secret", "verify", TOKEN, "1065", graph.api_url, timeout_seconds=2
    )

    async def last_inbound(_account: str, _wa_id: str) -> datetime:
        return NOW - timedelta(hours=1)

    async with aiohttp.ClientSession() as session:
        yield WhatsAppSender({"wa": account}, session, last_inbound, Clock())


REPLY = OutboundReply("k", "wa", "c", "m", "4915112345678", "Hello", in_reply_to="wamid.X")


async def test_graph_throttling_is_retried_after_the_time_it_asks(sender, graph):
    throttled = {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}
    graph.fail_next = [(400, throttled)]
    with pytest.raises(DeliveryError) as raised:
        await sender.send(REPLY)
    assert raised.value.permanent is False
    await sender.send(REPLY)
    assert len(graph.sent) == 1


async def test_a_closed_window_reported_by_meta_is_permanent(sender, graph):
    closed = {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}
    graph.fail_next = [(400, closed)]
    with pytest.raises(DeliveryError) as raised:
        await sender.send(REPLY)
    assert raised.value.permanent is True
    assert "24-hour window has closed" in str(raised.value)


async def test_graph_outage_is_retried_and_an_unknown_account_is_not(sender, graph):
    graph.fail_next = [(503, {"message": "Service unavailable", "code": 2})]
    with pytest.raises(DeliveryError) as raised:
        await sender.send(REPLY)
    assert raised.value.permanent is False
    with pytest.raises(DeliveryError) as unknown:
        await sender.send(OutboundReply("k", "nope", "c", "m", "49", "Hi"))
    assert unknown.value.permanent is True
