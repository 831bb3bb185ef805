"""Signed webhooks: the HMAC check, and a parser that names the first bad field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.commands import ReceiveCustomerMessage
from bot.domain.errors import InvalidInput
from connectors.webhook.parse import MAX_ATTACHMENTS, parse_webhook_message
from connectors.webhook.signature import MAX_SKEW_SECONDS, SignatureError, sign, verify

SECRET = "s3cret"
NOW = 1_800_000_000
BODY = b'{"message_id":"m-1"}'


# --- signature ----------------------------------------------------------------------------


def test_a_correctly_signed_body_verifies():
    verify(SECRET, str(NOW), sign(SECRET, NOW, BODY), BODY, float(NOW))


def test_signature_is_hex_sha256_with_a_prefix_and_covers_the_timestamp():
    signature = sign(SECRET, NOW, BODY)
    assert signature.startswith("sha256=")
    assert len(signature.removeprefix("sha256=")) == 64
    assert sign(SECRET, NOW + 1, BODY) != signature


def test_wrong_secret_is_rejected():
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, str(NOW), sign("other", NOW, BODY), BODY, float(NOW))


def test_tampered_body_is_rejected():
    signature = sign(SECRET, NOW, BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, str(NOW), signature, BODY.replace(b"m-1", b"m-2"), float(NOW))


def test_signature_for_another_timestamp_is_rejected():
    signature = sign(SECRET, NOW - 10, BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, str(NOW), signature, BODY, float(NOW))


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [(None, "sha256=ab"), (str(NOW), None), ("", "sha256=ab"), (str(NOW), ""), (None, None)],
)
def test_missing_headers_are_rejected(timestamp, signature):
    with pytest.raises(SignatureError, match="missing"):
        verify(SECRET, timestamp, signature, BODY, float(NOW))


@pytest.mark.parametrize("skew", [-MAX_SKEW_SECONDS - 1, MAX_SKEW_SECONDS + 1, 86_400, -86_400])
def test_timestamps_beyond_five_minutes_either_way_are_rejected(skew):
    """Too old is a replay; too far ahead would make a replay window later."""
    at = NOW + skew
    with pytest.raises(SignatureError, match="window"):
        verify(SECRET, str(at), sign(SECRET, at, BODY), BODY, float(NOW))


@pytest.mark.parametrize("skew", [-MAX_SKEW_SECONDS, 0, MAX_SKEW_SECONDS])
def test_timestamps_within_five_minutes_are_accepted(skew):
    at = NOW + skew
    verify(SECRET, str(at), sign(SECRET, at, BODY), BODY, float(NOW))


@pytest.mark.parametrize("timestamp", ["abc", "1800000000.5", "1e9", "0x1f"])
def test_non_integer_timestamp_is_rejected(timestamp):
    with pytest.raises(SignatureError, match="unix seconds"):
        verify(SECRET, timestamp, sign(SECRET, NOW, BODY), BODY, float(NOW))


def test_signature_header_with_surrounding_whitespace_is_accepted():
    verify(SECRET, str(NOW), f"  {sign(SECRET, NOW, BODY)}\n", BODY, float(NOW))


# --- parsing ------------------------------------------------------------------------------


def valid() -> dict[str, Any]:
    return {
        "message_id": "m-1",
        "customer": {"id": "c-1", "name": "Jo"},
        "text": "Where is my order?",
        "sent_at": "2026-11-23T10:00:00Z",
    }


def parse(body: Any) -> ReceiveCustomerMessage:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_webhook_message("nw-market", raw)


def without(path: str) -> dict[str, Any]:
    body = valid()
    *parents, last = path.split(".")
    container = body
    for name in parents:
        container = container[name]
    del container[last]
    return body


def with_value(path: str, value: Any) -> dict[str, Any]:
    body = valid()
    *parents, last = path.split(".")
    container = body
    for name in parents:
        container = container[name]
    container[last] = value
    return body


def test_valid_body_becomes_a_receive_command():
    command = parse(valid())
    assert command == ReceiveCustomerMessage(
        channel_account_id="nw-market",
        external_id="m-1",
        customer_external_id="c-1",
        customer_name="Jo",
        text="Where is my order?",
        sent_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        attachments=(),
    )


@pytest.mark.parametrize(
    "field", ["message_id", "customer", "customer.id", "customer.name", "text", "sent_at"]
)
def test_missing_field_is_named(field):
    with pytest.raises(InvalidInput) as problem:
        parse(without(field))
    assert str(problem.value).startswith(f"{field}:")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message_id", ""),
        ("message_id", "   "),
        ("message_id", 42),
        ("message_id", "x" * 256),
        ("customer", "c-1"),
        ("customer", ["c-1"]),
        ("customer.id", None),
        ("customer.id", 7),
        ("customer.name", ""),
        ("customer.name", "n" * 201),
        ("text", ""),
        ("text", {"body": "hi"}),
        ("text", "t" * 20_001),
        ("sent_at", "yesterday"),
        ("sent_at", True),
        ("sent_at", None),
        ("sent_at", ["2026-11-23"]),
    ],
)
def test_invalid_field_is_named(field, value):
    with pytest.raises(InvalidInput) as problem:
        parse(with_value(field, value))
    assert str(problem.value).startswith(f"{field}:")


def test_text_at_the_length_limit_is_accepted():
    assert len(parse(with_value("text", "t" * 20_000)).text) == 20_000


def test_iso_sent_at_keeps_its_offset_and_naive_iso_is_utc():
    shanghai = parse(with_value("sent_at", "2026-11-23T18:00:00+08:00")).sent_at
    assert shanghai == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert shanghai.utcoffset() == timedelta(hours=8)
    naive = parse(with_value("sent_at", "2026-11-23T10:00:00")).sent_at
    assert naive == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert naive.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (1_795_428_000, datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
        (1_795_428_000.5, datetime(2026, 11, 23, 10, 0, 0, 500_000, tzinfo=UTC)),
    ],
)
def test_unix_sent_at_is_utc(seconds, expected):
    sent_at = parse(with_value("sent_at", seconds)).sent_at
    assert sent_at == expected
    assert sent_at.utcoffset() == timedelta(0)


def test_attachments_are_kept_with_url_name_and_content_type():
    body = with_value(
        "attachments",
        [
            {"url": "https://cdn.example/a.jpg", "name": "a.jpg", "content_type": "image/jpeg"},
            {"url": "https://cdn.example/b.pdf", "extra": "dropped"},
        ],
    )
    assert parse(body).attachments == (
        {"url": "https://cdn.example/a.jpg", "name": "a.jpg", "content_type": "image/jpeg"},
        {"url": "https://cdn.example/b.pdf", "name": "", "content_type": ""},
    )


def test_absent_or_null_attachments_are_none():
    assert parse(valid()).attachments == ()
    assert parse(with_value("attachments", None)).attachments == ()


@pytest.mark.parametrize(
    ("attachments", "field"),
    [
        ("a.jpg", "attachments:"),
        ({"url": "https://x"}, "attachments:"),
        ([{"url": "https://x"}] * (MAX_ATTACHMENTS + 1), "attachments:"),
        (["https://x"], "attachments[0]:"),
        ([{"url": "https://x"}, {"name": "no url"}], "attachments[1].url:"),
        ([{"url": ""}], "attachments[0].url:"),
        ([{"url": "u" * 2001}], "attachments[0].url:"),
    ],
)
def test_invalid_attachments_are_named(attachments, field):
    with pytest.raises(InvalidInput) as problem:
        parse(with_value("attachments", attachments))
    assert str(problem.value).startswith(field)


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"\xff\xfe{}", b'{"text": "caf\xe9"}', b"\xc3\x28"],
)
def test_malformed_json_or_invalid_utf8_is_malformed_json(raw):
    with pytest.raises(InvalidInput, match=r"^body: malformed JSON$"):
        parse(raw)


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null"])
def test_body_must_be_a_json_object(raw):
    with pytest.raises(InvalidInput, match=r"^body: must be a JSON object$"):
        parse(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_nothing_but_invalid_input(raw):
    try:
        command = parse_webhook_message("acct", raw)
    except InvalidInput:
        return
    assert isinstance(command, ReceiveCustomerMessage)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    message_id=_json_values,
    customer=_json_values | st.fixed_dictionaries({"id": _json_values, "name": _json_values}),
    text=_json_values,
    sent_at=_json_values,
    attachments=_json_values,
)
def test_any_values_in_the_known_fields_raise_nothing_but_invalid_input(
    message_id, customer, text, sent_at, attachments
):
    body = {
        "message_id": message_id,
        "customer": customer,
        "text": text,
        "sent_at": sent_at,
        "attachments": attachments,
    }
    try:
        command = parse(body)
    except InvalidInput:
        return
    assert command.external_id == message_id
    assert command.text == text


# --- known gaps, kept visible until fixed -------------------------------------------------


@pytest.mark.parametrize(
    "raw_sent_at", [b"1e20", b"-1e11", b"9" * 40, b"NaN", b"Infinity", b"-Infinity"]
)
def test_out_of_range_unix_sent_at_is_invalid_input(raw_sent_at):
    raw = json.dumps(valid()).encode().replace(b'"2026-11-23T10:00:00Z"', raw_sent_at)
    with pytest.raises(InvalidInput, match=r"^sent_at:"):
        parse(raw)


def test_deeply_nested_json_is_invalid_input():
    with pytest.raises(InvalidInput, match=r"^body:"):
        parse(b"[" * 100_000)


def test_text_with_a_lone_surrogate_is_invalid_input():
    raw = json.dumps(with_value("text", "hi \ud800")).encode()
    with pytest.raises(InvalidInput, match=r"^text:"):
        parse(raw)
