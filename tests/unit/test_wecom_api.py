"""The WeCom API client against the fake server: the token is cached, refreshed on WeCom's
token errcodes with one retry, and WeCom's errors come back as `WeComError`."""

from __future__ import annotations

import aiohttp
import pytest

from bot.workspaces.wecom.api import WeComApi, WeComError
from tests.support.fake_wecom import AGENT_ID, CORP_ID, SECRET, FakeWeCom

TEXT = {"touser": "ana.w", "msgtype": "text", "agentid": AGENT_ID, "text": {"content": "hi"}}


@pytest.fixture
async def fake():
    async with FakeWeCom() as server:
        yield server
        server.assert_all_calls_valid()


async def test_the_token_is_fetched_once_and_reused(fake):
    async with aiohttp.ClientSession() as http:
        api = WeComApi(http, fake.url, CORP_ID, SECRET)
        for _ in range(3):
            await api.post("message/send", TEXT)
    assert len(fake.calls_to("gettoken")) == 1
    assert len(fake.calls_to("message/send")) == 3


async def test_a_token_near_its_expiry_is_renewed_before_use(fake):
    clock = [0.0]
    fake.expires_in = 7200
    async with aiohttp.ClientSession() as http:
        api = WeComApi(http, fake.url, CORP_ID, SECRET, now=lambda: clock[0])
        await api.post("message/send", TEXT)
        clock[0] = 7200 - 299  # inside the margin before expiry
        await api.post("message/send", TEXT)
    assert len(fake.calls_to("gettoken")) == 2


@pytest.mark.parametrize("errcode", [40014, 42001, 40001])
async def test_a_token_errcode_refreshes_the_token_and_retries_once(fake, errcode):
    async with aiohttp.ClientSession() as http:
        api = WeComApi(http, fake.url, CORP_ID, SECRET)
        await api.post("message/send", TEXT)
        fake.fail_next("message/send", errcode)
        await api.post("message/send", TEXT)
        assert [c.errcode for c in fake.calls_to("message/send")] == [0, errcode, 0]
        assert len(fake.calls_to("gettoken")) == 2
        fake.fail_next("message/send", errcode, times=2)
        with pytest.raises(WeComError) as raised:  # only one retry
            await api.post("message/send", TEXT)
    assert raised.value.errcode == errcode


async def test_an_expired_token_at_wecom_is_replaced(fake):
    async with aiohttp.ClientSession() as http:
        api = WeComApi(http, fake.url, CORP_ID, SECRET)
        await api.post("message/send", TEXT)
        fake.expire_tokens()
        await api.post("message/send", TEXT)
    assert [c.errcode for c in fake.calls_to("message/send")] == [0, 42001, 0]


async def test_a_rate_limit_is_reported_with_its_errcode(fake):
    fake.fail_next("appchat/send", 45009)
    async with aiohttp.ClientSession() as http:
        api = WeComApi(http, fake.url, CORP_ID, SECRET)
        with pytest.raises(WeComError) as raised:
            await api.post("appchat/send", {"chatid": "x", "msgtype": "text"})
    assert raised.value.errcode == 45009


async def test_the_fake_refuses_a_template_card_in_an_app_group_chat(fake):
    async with aiohttp.ClientSession() as http:
        api = WeComApi(http, fake.url, CORP_ID, SECRET)
        with pytest.raises(WeComError):
            await api.post("appchat/send", {"chatid": "x", "msgtype": "template_card"})
    assert fake.calls_to("appchat/send")[0].problems
    fake.calls.clear()  # the refusal was the point; the fixture checks the rest
