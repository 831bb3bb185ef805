"""Lark's event signature and AES-256-CBC body encryption, and the checks built on them."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest

from bot.workspaces.lark import crypto
from bot.workspaces.lark.events import EventSecurity, Refused

KEY = "lark-encrypt-key"
TOKEN = "verification-token"
NOW = 1_800_000_000.0


def test_the_documented_example_decrypts():
    # The Open Platform's own example: key "test key", plaintext "hello world".
    assert crypto.decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=") == (
        b"hello world"
    )


def test_round_trip_with_a_random_iv():
    plaintext = json.dumps({"text": "你好, world"}).encode()
    first, second = crypto.encrypt(KEY, plaintext), crypto.encrypt(KEY, plaintext)
    assert first != second  # a fresh IV each time
    assert crypto.decrypt(KEY, first) == crypto.decrypt(KEY, second) == plaintext


def test_a_tampered_or_foreign_ciphertext_is_refused():
    data = base64.b64decode(crypto.encrypt(KEY, b'{"a": 1}'))
    tampered = base64.b64encode(data[:-1] + bytes([data[-1] ^ 0x01])).decode()
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt(KEY, tampered)
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt(KEY, "not base64!")
    with pytest.raises(crypto.DecryptError):
        crypto.decrypt(KEY, base64.b64encode(b"short").decode())


def test_the_wrong_key_does_not_yield_the_plaintext():
    encrypted = crypto.encrypt(KEY, b'{"token": "verification-token"}')
    with contextlib.suppress(crypto.DecryptError):  # almost always: the padding is wrong
        assert crypto.decrypt("another-key", encrypted) != b'{"token": "verification-token"}'


def test_the_signature_covers_timestamp_nonce_key_and_body():
    body = b'{"encrypt": "abc"}'
    good = crypto.signature("1700000000", "n1", KEY, body)
    assert crypto.signature_matches("1700000000", "n1", KEY, body, good)
    assert not crypto.signature_matches("1700000001", "n1", KEY, body, good)
    assert not crypto.signature_matches("1700000000", "n2", KEY, body, good)
    assert not crypto.signature_matches("1700000000", "n1", "other", body, good)
    assert not crypto.signature_matches("1700000000", "n1", KEY, body + b" ", good)


def _signed(payload: dict, *, at: float = NOW, key: str = KEY) -> tuple[dict, bytes]:
    body = json.dumps({"encrypt": crypto.encrypt(key, json.dumps(payload).encode())}).encode()
    stamp = str(int(at))
    headers = {
        "X-Lark-Request-Timestamp": stamp,
        "X-Lark-Request-Nonce": "nonce",
        "X-Lark-Signature": crypto.signature(stamp, "nonce", key, body),
    }
    return headers, body


EVENT = {"schema": "2.0", "header": {"event_id": "e1", "event_type": "x", "token": TOKEN}}
SECURITY = EventSecurity(TOKEN, KEY, 300.0, wall_clock=lambda: NOW)


def test_a_signed_encrypted_event_opens():
    headers, body = _signed(EVENT)
    assert SECURITY.open(headers, body) == EVENT


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("stale", 401),
        ("future", 401),
        ("missing nonce", 401),
        ("unsigned event", 401),
        ("wrong token", 403),
        ("wrong key", 401),
    ],
)
def test_refusals(change: str, status: int):
    payload = EVENT
    at = NOW
    if change == "stale":
        at = NOW - 301
    if change == "future":
        at = NOW + 301
    if change == "wrong token":
        payload = {**EVENT, "header": {**EVENT["header"], "token": "forged"}}
    headers, body = _signed(payload, at=at, key="other" if change == "wrong key" else KEY)
    if change == "missing nonce":
        del headers["X-Lark-Request-Nonce"]
    if change == "unsigned event":
        headers = {}
    with pytest.raises(Refused) as refused:
        SECURITY.open(headers, body)
    assert refused.value.status == status


def test_the_url_check_may_come_encrypted_but_unsigned():
    challenge = {"type": "url_verification", "challenge": "c-1", "token": TOKEN}
    _headers, body = _signed(challenge)
    assert SECURITY.open({}, body) == challenge


def test_without_an_encrypt_key_plain_bodies_are_checked_by_token_only():
    plain = EventSecurity(TOKEN, None)
    assert plain.open({}, json.dumps(EVENT).encode()) == EVENT
    with pytest.raises(Refused) as refused:
        plain.open({}, json.dumps({**EVENT, "header": {"token": "x"}}).encode())
    assert refused.value.status == 403
    _headers, encrypted = _signed(EVENT)
    with pytest.raises(Refused) as refused:
        plain.open({}, encrypted)
    assert refused.value.status == 400
