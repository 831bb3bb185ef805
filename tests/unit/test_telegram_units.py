"""Small Telegram pieces: reply splitting, button payloads, config, and the spec checker."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, Settings, load_settings
from bot.ports import OutboundReply, ReplyAttachment
from bot.workspaces.telegram.callback_data import ButtonData, Press
from connectors.telegram.channel import CAPTION_LIMIT, reply_parts
from connectors.telegram.text_parts import MESSAGE_LIMIT, split_text
from connectors.telegram.webhook import secret_matches
from tests.support.config import settings_dict
from tests.support.telegram_spec import check_call, check_object

WORDS = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=30), min_size=1, max_size=600)


@given(WORDS)
def test_split_parts_fit_and_join_back_to_the_text(words: list[str]) -> None:
    text = " ".join(words)
    parts = split_text(text)
    assert all(1 <= len(part) <= MESSAGE_LIMIT for part in parts)
    assert " ".join(parts) == text


def test_a_5000_character_reply_is_cut_at_a_word_boundary() -> None:
    text = ("word " * 1000).strip()
    first, second = split_text(text)
    assert len(first) <= MESSAGE_LIMIT and first.endswith("word") and second.startswith("word")


def test_a_giant_word_is_cut_hard() -> None:
    assert [len(p) for p in split_text("x" * 9000)] == [4096, 4096, 808]


PHOTO = ReplyAttachment("photo", "photo.jpg", "telegram/team/1-U1.jpg", 10)
DOCUMENT = ReplyAttachment("document", "invoice.pdf", "telegram/team/2-U2.pdf", 20)


def _reply(text: str, *attachments: ReplyAttachment) -> OutboundReply:
    return OutboundReply("send:m", "nw-telegram", "c", "m", "5001", text, None, attachments)


def test_a_file_goes_first_and_carries_a_text_that_fits_in_a_caption() -> None:
    assert reply_parts(_reply("Here it is", PHOTO, DOCUMENT)) == [
        ("Here it is", PHOTO),
        ("", DOCUMENT),
    ]
    assert reply_parts(_reply("", DOCUMENT)) == [("", DOCUMENT)]
    assert reply_parts(_reply("Plain text")) == [("Plain text", None)]


def test_a_text_too_long_for_a_caption_follows_the_file_as_messages() -> None:
    text = ("word " * 1000).strip()  # 4,999 characters: two messages after the file
    parts = reply_parts(_reply(text, PHOTO))
    assert parts[0] == ("", PHOTO)
    assert [attachment for _text, attachment in parts[1:]] == [None, None]
    assert " ".join(part for part, _attachment in parts[1:]) == text
    assert reply_parts(_reply("x" * CAPTION_LIMIT, PHOTO)) == [("x" * CAPTION_LIMIT, PHOTO)]


def test_button_data_is_typed_and_small() -> None:
    draft_id = "0123456789abcdef0123456789abcdef"
    for press in Press:
        data = ButtonData(press, draft_id).encode()
        assert len(data.encode()) <= 64
        assert ButtonData.parse(data) == ButtonData(press, draft_id)
    assert ButtonData.parse("z:abc") is None
    assert ButtonData.parse("a:../../etc") is None
    assert ButtonData.parse(None) is None
    with pytest.raises(ValueError):
        ButtonData(Press.APPROVE, "x" * 70).encode()


def test_secret_token_comparison_needs_the_exact_secret() -> None:
    assert secret_matches("s3cret", "s3cret")
    assert not secret_matches("s3cret", "s3cre")
    assert not secret_matches("s3cret", None)
    assert not secret_matches(None, "anything")


def test_a_telegram_channel_needs_a_token_env(tmp_path) -> None:
    raw = settings_dict(tmp_path, "http://127.0.0.1:1")
    raw["stores"][0]["channels"].append({"id": "nw-tg", "kind": "telegram"})
    with pytest.raises(ValueError, match="token_env"):
        Settings.model_validate(raw)


def test_the_spec_checker_refuses_what_telegram_would() -> None:
    assert check_call("sendMessage", {"chat_id": "5", "text": "hi"}) == []
    assert check_call("sendMesage", {"chat_id": "5"}) == ["unknown method sendMesage"]
    assert any("text is missing" in p for p in check_call("sendMessage", {"chat_id": "5"}))
    assert any(
        "unknown parameter" in p
        for p in check_call("sendMessage", {"chat_id": "5", "text": "x", "colour": "red"})
    )
    assert any(
        "not an Integer" in p
        for p in check_call(
            "sendMessage", {"chat_id": "5", "text": "x", "message_thread_id": "abc"}
        )
    )
    assert any(
        "4097 characters" in p
        for p in check_call("sendMessage", {"chat_id": "5", "text": "x" * 4097})
    )
    keyboard = '{"inline_keyboard": [[{"text": "A", "callback_data": "%s"}]]}' % ("x" * 65)
    assert any(
        "65 bytes" in p
        for p in check_call("sendMessage", {"chat_id": "5", "text": "x", "reply_markup": keyboard})
    )
    assert any(
        "has no field" in p
        for p in check_call(
            "sendMessage",
            {"chat_id": "5", "text": "x", "reply_parameters": '{"message_id": 1, "bogus": 2}'},
        )
    )
    assert (
        check_object(
            "Update",
            {
                "update_id": 1,
                "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
            },
        )
        == []
    )
    assert check_object("Update", {"update_id": "1"}) != []


MINIMAL_TELEGRAM_CONFIG = """
[[stores]]
id = "northwind"
name = "Northwind"
brand = "Northwind"
languages = ["en"]

[[stores.channels]]
id = "nw-telegram"
kind = "telegram"
token_env = "TG_TEST_TOKEN"
"""


def test_a_missing_bot_token_is_a_config_error_naming_the_key(tmp_path, monkeypatch) -> None:
    path = tmp_path / "storedesk.toml"
    path.write_text(MINIMAL_TELEGRAM_CONFIG, encoding="utf-8")
    monkeypatch.delenv("TG_TEST_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=r"stores\.northwind\.channels\.nw-telegram.*TG_TEST"):
        load_settings(path)
    monkeypatch.setenv("TG_TEST_TOKEN", "123:abc")
    assert load_settings(path).stores[0].channels[0].kind == "telegram"
