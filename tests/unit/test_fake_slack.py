"""The fake Slack Web API, driven by the real slack_sdk AsyncWebClient, and the spec checks."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    InputBlock,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from tests.support import slack_spec
from tests.support.fake_slack import FakeSlack

METADATA = {"event_type": "storedesk_item", "event_payload": {"key": "k1"}}
USERS = {
    "U123": {"name": "ana", "real_name": "Ana Ops", "profile": {"email": "ana@shop.test"}},
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(users=USERS) as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[])


def item_blocks() -> list[SectionBlock | ActionsBlock]:
    return [
        SectionBlock(text="*Order 1042*: where is my parcel?"),
        ActionsBlock(
            elements=[
                ButtonElement(text="Send", action_id="send", value="k1", style="primary"),
                ButtonElement(text="Edit", action_id="edit", value="k1"),
            ]
        ),
    ]


# --------------------------------------------------------------------------- happy paths


async def test_auth_test(fake: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert (response["user_id"], response["bot_id"], response["team_id"]) == ("UBOT", "BBOT", "T1")
    assert response["url"].startswith("https://")
    call = fake.calls_to("auth.test")[0]
    assert call.token == "xoxb-test"
    fake.assert_all_calls_valid()


async def test_post_thread_and_read_back_metadata(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(
        channel="C1", text="Order 1042", blocks=item_blocks(), metadata=METADATA
    )
    assert parent["ok"] and parent["channel"] == "C1"
    assert re.fullmatch(r"\d{10}\.\d{6}", parent["ts"])
    message = parent["message"]
    assert (message["user"], message["bot_id"]) == ("UBOT", "BBOT")
    assert message["metadata"] == METADATA
    assert message["blocks"][0]["type"] == "section"

    reply = await client.chat_postMessage(channel="C1", text="Draft reply", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert reply["ts"] > parent["ts"]

    with_metadata = await client.conversations_replies(
        channel="C1", ts=parent["ts"], include_all_metadata=True
    )
    messages = with_metadata["messages"]
    assert [m["ts"] for m in messages] == [parent["ts"], reply["ts"]]
    assert messages[0]["metadata"] == METADATA
    assert messages[0]["reply_count"] == 1

    without = await client.conversations_replies(channel="C1", ts=parent["ts"])
    assert all("metadata" not in m for m in without["messages"])

    # slack_sdk sent chat.postMessage as JSON (parsed blocks) and conversations.replies as
    # a GET query string (booleans as "1"/"0").
    post = fake.calls_to("chat.postMessage")[0]
    assert post.headers["Content-Type"].startswith("application/json")
    assert isinstance(post.params["blocks"], list)
    replies_call = fake.calls_to("conversations.replies")[0]
    assert replies_call.http_verb == "GET"
    assert replies_call.params["include_all_metadata"] == "1"

    assert [m["ts"] for m in fake.thread("C1", parent["ts"])] == [parent["ts"], reply["ts"]]
    assert len(fake.messages("C1")) == 2
    fake.assert_all_calls_valid()


async def test_chat_update_and_delete(fake: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="v1", metadata=METADATA)
    updated = await client.chat_update(
        channel="C1", ts=posted["ts"], text="v2", blocks=[SectionBlock(text="v2")]
    )
    assert updated["ts"] == posted["ts"] and updated["text"] == "v2"
    assert fake.messages("C1")[0]["text"] == "v2"
    assert fake.messages("C1")[0]["metadata"] == METADATA

    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel="C1", ts="1600000000.000001", text="nope")
    assert missing.value.response["error"] == "message_not_found"

    await client.chat_delete(channel="C1", ts=posted["ts"])
    assert fake.messages("C1") == []
    with pytest.raises(SlackApiError) as gone:
        await client.chat_update(channel="C1", ts=posted["ts"], text="v3")
    assert gone.value.response["error"] == "message_not_found"
    fake.assert_all_calls_valid()


async def test_views_open_ephemeral_and_users(fake: FakeSlack, client: AsyncWebClient) -> None:
    view = View(
        type="modal",
        callback_id="edit_draft",
        title="Edit reply",
        submit="Send",
        blocks=[
            InputBlock(
                block_id="draft",
                label="Reply",
                element=PlainTextInputElement(action_id="text", multiline=True),
            )
        ],
    )
    opened = await client.views_open(trigger_id="123.456.abc", view=view)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "edit_draft"
    assert fake.opened_views[0]["trigger_id"] == "123.456.abc"

    ephemeral = await client.chat_postEphemeral(channel="C1", user="U123", text="Only you")
    assert ephemeral["message_ts"]
    assert fake.ephemeral_messages[0]["text"] == "Only you"
    assert fake.messages("C1") == []

    info = await client.users_info(user="U123")
    assert info["user"]["name"] == "ana"
    found = await client.users_lookupByEmail(email="ana@shop.test")
    assert found["user"]["id"] == "U123"
    with pytest.raises(SlackApiError) as unknown:
        await client.users_lookupByEmail(email="nobody@shop.test")
    assert unknown.value.response["error"] == "users_not_found"
    fake.assert_all_calls_valid()


async def test_timestamps_are_unique_and_increasing(client: AsyncWebClient) -> None:
    stamps = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(5)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5
    assert stamps[0] == "1700000000.000100"


# --------------------------------------------------------------------------- failures


async def test_429_surfaces_with_retry_after(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_with_429("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C1", text="hi")
    response = limited.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert fake.messages("C1") == []

    await client.chat_postMessage(channel="C1", text="hi")  # only one 429 was queued
    assert len(fake.messages("C1")) == 1
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


async def test_fail_once(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_once("chat.postMessage")
    fake.fail_once("chat.postMessage", error="fatal_error", status=500)
    with pytest.raises(SlackApiError) as first:
        await client.chat_postMessage(channel="C1", text="hi")
    assert first.value.response["error"] == "internal_error"
    with pytest.raises(SlackApiError) as second:
        await client.chat_postMessage(channel="C1", text="hi")
    assert second.value.response.status_code == 500
    await client.chat_postMessage(channel="C1", text="hi")
    assert len(fake.messages("C1")) == 1


async def test_timeout_after_the_post_took_effect_can_be_reconciled(fake: FakeSlack) -> None:
    impatient = AsyncWebClient(
        token="xoxb-test",
        base_url=fake.url,
        retry_handlers=[],
        timeout=0.3,  # type: ignore[arg-type]
    )
    parent_ts = fake.add_message("C1", "Customer asks about order 1042")
    fake.hang_once("chat.postMessage", 5, apply_first=True)
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(
            channel="C1", text="Draft", thread_ts=parent_ts, metadata=METADATA
        )
    replies = await impatient.conversations_replies(
        channel="C1", ts=parent_ts, include_all_metadata=True
    )
    sent = [m for m in replies["messages"] if m.get("metadata") == METADATA]
    assert len(sent) == 1 and sent[0]["thread_ts"] == parent_ts


async def test_hang_once_answers_late(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.hang_once("auth.test", 0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await client.auth_test())["ok"] is True
    assert loop.time() - started >= 0.05
    assert len(fake.calls_to("auth.test")) == 1


async def test_deleted_parent_and_archived_channel(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent_ts = fake.add_message("C1", "Customer question")
    fake.delete_message("C1", parent_ts)
    with pytest.raises(SlackApiError) as orphan:
        await client.chat_postMessage(channel="C1", text="reply", thread_ts=parent_ts)
    assert orphan.value.response["error"] == "thread_not_found"
    with pytest.raises(SlackApiError) as thread:
        await client.conversations_replies(channel="C1", ts=parent_ts)
    assert thread.value.response["error"] == "thread_not_found"

    fake.archive_channel("C2")
    with pytest.raises(SlackApiError) as archived:
        await client.chat_postMessage(channel="C2", text="hello")
    assert archived.value.response["error"] == "is_archived"


async def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    anonymous = AsyncWebClient(base_url=fake.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as denied:
        await anonymous.chat_postMessage(channel="C1", text="hi")
    assert denied.value.response["error"] == "not_authed"
    assert fake.calls_to("chat.postMessage")[0].problems == ["missing required parameter 'token'"]


# --------------------------------------------------------------------------- spec checks


async def test_unknown_parameter_is_recorded(fake: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="hi", idempotency_key="k1")
    call = fake.calls_to("chat.postMessage")[0]
    assert call.problems == [
        "unknown parameter 'idempotency_key' (not in the spec for chat.postMessage)"
    ]
    with pytest.raises(AssertionError, match="idempotency_key"):
        fake.assert_all_calls_valid()


async def test_invalid_raw_call_fails_assert_all_calls_valid(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C1", text="valid")
    fake.assert_all_calls_valid()

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake.url + "chat.postMessage",
            json={"text": "no channel", "unfurl_links": "sometimes"},
            headers={"Authorization": "Bearer xoxb-test"},
        ) as response,
    ):
        body = await response.json()
    assert body == {"ok": False, "error": "channel_not_found"}

    with pytest.raises(AssertionError) as failure:
        fake.assert_all_calls_valid()
    report = str(failure.value)
    assert "2 problem(s) in 2 Slack call(s)" in report
    assert "#1 chat.postMessage: missing required parameter 'channel'" in report
    assert "'unfurl_links' should be a boolean" in report


async def test_form_encoded_body_is_parsed(fake: FakeSlack) -> None:
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}])
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake.url + "chat.postMessage",
            data={"channel": "C1", "text": "hi", "blocks": blocks, "unfurl_links": "false"},
            headers={"Authorization": "Bearer xoxb-test"},
        ) as response,
    ):
        body = await response.json()
    assert body["ok"] is True
    assert body["message"]["blocks"][0]["text"]["text"] == "*hi*"
    fake.assert_all_calls_valid()

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake.url + "chat.postMessage",
            data=b"{not json",
            headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
        ) as response,
    ):
        assert await response.json() == {"ok": False, "error": "invalid_json"}
    assert fake.calls[-1].problems == ["request body could not be read (invalid_json)"]


def test_check_call_types_and_content_types() -> None:
    auth = {"Authorization": "Bearer xoxb-test"}
    assert slack_spec.check_call("chat.postMessage", {"channel": "C1", "text": "x"}, auth) == []
    assert slack_spec.check_call("chat.postMessage", {"channel": "C1"}) == [
        "missing required parameter 'token'"
    ]
    assert slack_spec.check_call("nope.nothing", {}, auth)[0].startswith("unknown method")
    problems = slack_spec.check_call(
        "conversations.replies",
        {"channel": "C1", "ts": "1.2", "limit": "many", "inclusive": "maybe"},
        {**auth, "Content-Type": "application/json"},
    )
    assert any("does not accept application/json" in p for p in problems)
    assert any("'limit' should be an integer" in p for p in problems)
    assert any("'inclusive' should be a boolean" in p for p in problems)
    bad_json = slack_spec.check_call(
        "chat.postMessage",
        {"channel": "C1", "text": "x", "blocks": "[{", "metadata": {"event_type": "x"}},
        auth,
    )
    assert any("'blocks' should be JSON" in p for p in bad_json)
    assert any("'event_payload'" in p for p in bad_json)
    # views.open takes interactivity_pointer instead of trigger_id.
    assert (
        slack_spec.check_call(
            "views.open", {"interactivity_pointer": "p", "view": '{"type":"modal"}'}, auth
        )
        == []
    )


async def test_newer_methods_are_checked_against_slack_sdk(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    # The upload methods postdate the spec: calls are checked against slack_sdk's signature.
    answer = await client.files_getUploadURLExternal(filename="a.txt", length=3)
    assert answer["upload_url"].startswith("http://127.0.0.1:")
    assert fake.calls_to("files.getUploadURLExternal")[0].problems == []
    assert slack_spec.check_call(
        "files.getUploadURLExternal", {"filename": "a.txt", "length": "three"}, {}
    ) == [
        "missing required parameter 'token'",
        "parameter 'length' should be an integer, got 'three'",
    ]


def test_allow_lists_match_slack_sdk_and_are_absent_from_the_spec() -> None:
    spec_paths = slack_spec.load_spec()["paths"]
    for method in slack_spec.NEWER_METHODS:
        assert f"/{method}" not in spec_paths, f"{method} is in the spec now"
        assert slack_spec.sdk_method_spec(method) is not None
    for method, extras in slack_spec.NEWER_PARAMS.items():
        operation = next(iter(spec_paths[f"/{method}"].values()))
        in_spec = {param["name"] for param in operation["parameters"]}
        sdk_function = getattr(AsyncWebClient, method.replace(".", "_"))
        in_sdk = set(inspect.signature(sdk_function).parameters)
        for name in extras:
            assert name not in in_spec, f"{method}.{name} is in the spec now"
            takes_kwargs = "kwargs" in in_sdk  # e.g. auth_test(**kwargs) passes anything on
            assert name in in_sdk or takes_kwargs, f"{method}.{name} is not a slack_sdk parameter"


async def test_files_upload_v2_shares_the_bytes_and_flags_a_wrong_length(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C1", text="report")
    await client.files_upload_v2(
        file_uploads=[{"file": b"\x89PNG-bytes", "filename": "a.png", "title": "A"}],
        channel="C1",
        thread_ts=parent["ts"],
    )
    (shared,) = [m for m in fake.thread("C1", parent["ts"]) if m.get("files")]
    (file,) = shared["files"]
    assert (file["name"], file["title"], fake.uploads[file["id"]]) == (
        "a.png",
        "A",
        b"\x89PNG-bytes",
    )
    fake.assert_all_calls_valid()

    announced = await client.files_getUploadURLExternal(filename="b.png", length=99)
    async with aiohttp.ClientSession() as http, http.post(announced["upload_url"], data=b"x"):
        pass
    assert fake.problems() == [f"upload {announced['file_id']}: 1 bytes, announced 99"]
    with pytest.raises(SlackApiError, match="file_not_found"):
        await client.files_completeUploadExternal(files=[{"id": "FNOPE", "title": "x"}])
