"""Parsing WhatsApp Cloud API webhook bodies: what becomes a customer message, what is refused."""

from __future__ import annotations

import json

import pytest

from bot.domain.errors import InvalidInput
from connectors.whatsapp.parse import parse_whatsapp
from connectors.whatsapp.signature import SignatureError, sign, verify
from tests.support.whatsapp_client import whatsapp_body

API = "https://graph.facebook.com/v21.0"


def test_text_message_becomes_a_command_with_the_profile_name():
    [inbound] = parse_whatsapp("wa", API, whatsapp_body("wamid.A", "Hi there", at=1700000000))
    assert inbound.command.external_id == "wamid.A"
    assert inbound.command.customer_external_id == "4915112345678"
    assert inbound.command.customer_name == "Jo"
    assert inbound.command.text == "Hi there"
    assert inbound.sent_at.timestamp() == 1700000000


def test_status_updates_carry_no_message():
    body = json.loads(whatsapp_body("wamid.A"))
    value = body["entry"][0]["changes"][0]["value"]
    del value["messages"], value["contacts"]
    value["statuses"] = [{"id": "wamid.OUT1", "status": "delivered", "timestamp": "1700000000"}]
    assert parse_whatsapp("wa", API, json.dumps(body).encode()) == []


def test_unsupported_types_are_shown_as_a_placeholder_not_dropped():
    body = json.loads(whatsapp_body("wamid.L"))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="location", location={"latitude": 52.5, "longitude": 13.4})
    [inbound] = parse_whatsapp("wa", API, json.dumps(body).encode())
    assert inbound.command.text.startswith("[location message")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"[]", "body"),
        (b'{"object": "whatsapp_business_account", "entry": {}}', "entry"),
        (whatsapp_body("wamid.A", text=""), "text.body"),
        (whatsapp_body("", "hi"), ".id"),
        (whatsapp_body("wamid.A", "hi", wa_id=""), ".from"),
    ],
)
def test_malformed_bodies_name_the_bad_field(raw, field):
    with pytest.raises(InvalidInput, match=field.replace(".", r"\.").replace("[", r"\[")):
        parse_whatsapp("wa", API, raw)


def test_signature_is_checked_over_the_exact_raw_body():
    body = whatsapp_body("wamid.A")
    verify("secret", sign("secret", body), body)
    for header in (None, "", "sha1=abc", sign("other", body), sign("secret", body + b" ")):
        with pytest.raises(SignatureError):
            verify("secret", header, body)


def test_quick_reply_button_press_is_the_buttons_text():
    body = json.loads(whatsapp_body("wamid.B"))
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="button", button={"payload": "TRACK", "text": "Track my order"})
    [inbound] = parse_whatsapp("wa", API, json.dumps(body).encode())
    assert inbound.command.text == "Track my order"
