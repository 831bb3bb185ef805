"""Which keys link customers, and which only propose a link."""

from __future__ import annotations

import pytest

from bot.domain.customer_keys import (
    CustomerKey,
    KeyKind,
    KnownKey,
    channel_keys,
    exact_match,
    fuzzy_reason,
    lookup_keys,
    normalize_phone,
    scope_of,
)
from bot.domain.profile import sentiment_trend


def known(value: str, *, kind: KeyKind = KeyKind.EMAIL, verified: bool = True, name: str = "Jo"):
    return KnownKey("c-old", name, kind, value, verified)


def test_mail_and_whatsapp_addresses_are_verified_keys_other_channels_give_none():
    assert channel_keys("email", " Jo@Example.COM ") == [
        CustomerKey(KeyKind.EMAIL, "jo@example.com", True, "email")
    ]
    assert channel_keys("whatsapp", "+49 (30) 1234-567") == [
        CustomerKey(KeyKind.PHONE, "49301234567", True, "whatsapp")
    ]
    assert channel_keys("telegram", "12345") == []
    assert channel_keys("webchat", "jo@example.com") == []


def test_differently_formatted_phone_numbers_are_one_exact_key():
    assert normalize_phone("+49 30 1234567") == normalize_phone("0049-30-123 4567")
    assert normalize_phone("12") is None


def test_an_order_found_by_lookup_is_verified_per_store_its_email_is_not():
    keys = lookup_keys("northwind", {"order_id": "#1001", "email": "Jo@example.com"}, "1001")
    assert CustomerKey(KeyKind.ORDER, "northwind:1001", True, "lookup") in keys
    assert CustomerKey(KeyKind.EMAIL, "jo@example.com", False, "lookup") in keys
    assert lookup_keys("dragon", {}, "1001")[0].value == "dragon:1001"


def test_links_stay_within_a_client_and_a_clientless_store_is_its_own_scope():
    assert scope_of("acme", "northwind") == scope_of("acme", "dragon")
    assert scope_of(None, "northwind") != scope_of(None, "dragon")


def test_only_a_verified_key_on_both_sides_links_at_once():
    email = CustomerKey(KeyKind.EMAIL, "jo@example.com", True, "email")
    assert exact_match(email, known("jo@example.com"))
    assert not exact_match(email, known("jo@example.com", verified=False))
    assert fuzzy_reason(email, "Jo", known("jo@example.com")) is None


@pytest.mark.parametrize(
    ("value", "name", "other", "other_name", "proposed"),
    [
        ("j.o+shop@example.com", "Ann", "jo@example.com", "Bea", True),  # same mailbox spelling
        ("jo.smith@example.com", "Jo Smith", "jo.smyth@example.com", "jo  smith", True),
        ("jo.smith@example.com", "Jo Smith", "jo.smyth@example.com", "Al Smith", False),
        ("jo@example.com", "Jo", "al@example.com", "Jo", False),
    ],
)
def test_fuzzy_email_matches_become_proposals(value, name, other, other_name, proposed):
    key = CustomerKey(KeyKind.EMAIL, value, True, "email")
    assert (fuzzy_reason(key, name, known(other, name=other_name)) is not None) is proposed


def test_an_unverified_key_equal_to_a_known_one_is_only_proposed():
    key = CustomerKey(KeyKind.EMAIL, "jo@example.com", False, "lookup")
    assert not exact_match(key, known("jo@example.com"))
    assert "not verified" in str(fuzzy_reason(key, "Jo", known("jo@example.com")))


def test_sentiment_trend_compares_later_messages_with_earlier_ones():
    assert sentiment_trend(["negative", "negative", "neutral", "positive"]) == "improving"
    assert sentiment_trend(["positive", "neutral", "negative"]) == "worsening"
    assert sentiment_trend(["neutral", "neutral"]) == "steady"
    assert sentiment_trend(["neutral"]) == "unknown"
