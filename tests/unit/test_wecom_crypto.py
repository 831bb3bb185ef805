"""WeCom callback crypto: the official sample vector, and every way a callback is refused."""

from __future__ import annotations

import base64

import pytest

from bot.workspaces.wecom.crypto import CallbackRefused, WeComCrypto, signature
from bot.workspaces.wecom.xml_fields import MalformedXml, parse_fields

# The URL-verification sample of WeCom's callback SDK documentation (token, EncodingAESKey,
# receive id, the GET's query and the echostr it decrypts to).
SAMPLE_TOKEN = "QDG6eK"
SAMPLE_RECEIVE_ID = "wx5823bf96d3bd56c7"
SAMPLE_KEY = base64.b64decode("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C" + "=")
SAMPLE_SIGNATURE = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
SAMPLE_TIMESTAMP, SAMPLE_NONCE = "1409659589", "263014780"
SAMPLE_ECHOSTR = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)


def sample() -> WeComCrypto:
    return WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_RECEIVE_ID)


def test_the_documented_sample_verifies_and_decrypts():
    crypto = sample()
    crypto.verify(SAMPLE_SIGNATURE, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ECHOSTR)
    assert crypto.decrypt(SAMPLE_ECHOSTR) == b"1616140317555161061"
    assert signature(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ECHOSTR) == (
        SAMPLE_SIGNATURE
    )


def test_encrypt_then_decrypt_round_trips_any_message():
    crypto = sample()
    for message in (b"", b"<xml><Content>hi</Content></xml>", "退货 ✓".encode() * 50):
        sealed = crypto.encrypt(message)
        assert len(base64.b64decode(sealed)) % 32 == 0
        assert crypto.decrypt(sealed) == message


def test_a_known_random_prefix_gives_a_known_ciphertext():
    crypto = sample()
    first = crypto.encrypt(b"hello", random16=b"0" * 16)
    assert first == crypto.encrypt(b"hello", random16=b"0" * 16)
    assert first != crypto.encrypt(b"hello", random16=b"1" * 16)


def test_a_wrong_key_is_refused():
    sealed = sample().encrypt(b"<xml/>")
    other = WeComCrypto(SAMPLE_TOKEN, bytes(32), SAMPLE_RECEIVE_ID)
    with pytest.raises(CallbackRefused):
        other.decrypt(sealed)


def test_a_message_sealed_for_another_corp_is_refused():
    sealed = WeComCrypto(SAMPLE_TOKEN, SAMPLE_KEY, "wwanothercorp").encrypt(b"<xml/>")
    with pytest.raises(CallbackRefused, match="not sealed for this corp"):
        sample().decrypt(sealed)


@pytest.mark.parametrize(
    "change",
    [
        {"msg_signature": "0" * 40},
        {"timestamp": "1409659590"},
        {"nonce": "263014781"},
        {"encrypted": SAMPLE_ECHOSTR.replace("P9n", "Q9n")},
    ],
)
def test_a_tampered_signature_or_signed_part_is_refused(change):
    parts = {
        "msg_signature": SAMPLE_SIGNATURE,
        "timestamp": SAMPLE_TIMESTAMP,
        "nonce": SAMPLE_NONCE,
        "encrypted": SAMPLE_ECHOSTR,
    } | change
    with pytest.raises(CallbackRefused, match="bad signature"):
        sample().verify(**parts)


@pytest.mark.parametrize("garbage", ["not base64!", "AAAA", base64.b64encode(b"x" * 31).decode()])
def test_ciphertext_that_is_not_whole_blocks_is_refused(garbage):
    with pytest.raises(CallbackRefused):
        sample().decrypt(garbage)


def test_callback_xml_is_read_flat_and_dtds_are_refused():
    fields = parse_fields(b"<xml><MsgType><![CDATA[text]]></MsgType><AgentID>1</AgentID></xml>")
    assert fields == {"MsgType": "text", "AgentID": "1"}
    for hostile in (
        b'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><C>&a;</C></xml>',
        b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml/>',
        b"<xml><C>unclosed</xml>",
        b"<xml>" + b"<a>" * 10 + b"</a>" * 10 + b"</xml>",
    ):
        with pytest.raises(MalformedXml):
            parse_fields(hostile)
