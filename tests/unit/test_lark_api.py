"""The Lark API client against the fake Open Platform: token life, retries, rate limits."""

from __future__ import annotations

import aiohttp
import pytest

from bot.ports import DeliveryError
from bot.services.rate_limit import RateLimiter
from bot.workspaces.lark.api import LarkApi
from tests.support.fake_lark import APP_ID, APP_SECRET, NORTHWIND_CHAT, FakeLark

TOKEN = "POST /open-apis/auth/v3/tenant_access_token/internal"
SEND = "POST /open-apis/im/v1/messages"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake():
    async with FakeLark() as server:
        yield server


async def _api(fake: FakeLark, http: aiohttp.ClientSession, clock: Clock, secret=APP_SECRET):
    return LarkApi(http, fake.url, APP_ID, secret, RateLimiter(100, 100), monotonic=clock)


async def test_the_token_is_cached_until_shortly_before_it_expires(fake):
    clock = Clock()
    async with aiohttp.ClientSession() as http:
        api = await _api(fake, http, clock)
        await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")
        clock.now = 7200 - 301  # expire 7200 s, refreshed 300 s early
        await api.send(NORTHWIND_CHAT, "text", {"text": "two"}, "u-2")
        assert len(fake.calls_to(TOKEN)) == 1
        clock.now = 7200 - 299
        await api.send(NORTHWIND_CHAT, "text", {"text": "three"}, "u-3")
        assert len(fake.calls_to(TOKEN)) == 2
    fake.assert_all_calls_valid()


async def test_an_invalid_token_is_refreshed_and_the_call_retried_once(fake):
    async with aiohttp.ClientSession() as http:
        api = await _api(fake, http, Clock())
        await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")
        fake.expire_tokens()
        await api.send(NORTHWIND_CHAT, "text", {"text": "two"}, "u-2")
    assert [c.code for c in fake.calls_to(SEND)] == [0, 99991663, 0]
    assert len(fake.calls_to(TOKEN)) == 2
    assert [m.text for m in fake.in_chat(NORTHWIND_CHAT)] == ["one", "two"]


async def test_a_rate_limit_asks_the_outbox_to_come_back_when_lark_says(fake):
    fake.fail_next(SEND, status=429, code=99991400, reset=3)
    async with aiohttp.ClientSession() as http:
        api = await _api(fake, http, Clock())
        with pytest.raises(DeliveryError) as limited:
            await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")
    assert limited.value.retry_after == 3.0 and not limited.value.permanent


async def test_wrong_app_credentials_are_a_clear_error(fake):
    async with aiohttp.ClientSession() as http:
        api = await _api(fake, http, Clock(), secret="wrong")
        with pytest.raises(DeliveryError, match="check app_id and secret"):
            await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")


async def test_the_same_uuid_gives_the_same_message(fake):
    async with aiohttp.ClientSession() as http:
        api = await _api(fake, http, Clock())
        first = await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")
        again = await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")
    assert first == again and len(fake.in_chat(NORTHWIND_CHAT)) == 1


async def test_the_fake_reports_calls_outside_the_documented_shapes(fake):
    async with aiohttp.ClientSession() as http:
        api = await _api(fake, http, Clock())
        await api.send(NORTHWIND_CHAT, "text", {"text": "one"}, "u-1")
        token = next(iter(fake._tokens))
        await http.post(
            f"{fake.url}/open-apis/im/v1/messages",
            params={"receive_id_type": "chat"},
            json={"receive_id": NORTHWIND_CHAT, "msg_type": "txt", "body": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
    problems = fake.calls_to(SEND)[-1].problems
    assert "unknown body field body" in problems and "missing content" in problems
    assert any("receive_id_type=chat" in p for p in problems)
    assert "unknown msg_type txt" in problems
    with pytest.raises(AssertionError):
        fake.assert_all_calls_valid()
