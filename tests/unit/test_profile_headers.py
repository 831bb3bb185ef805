"""The profile line in thread headers: counts and trend only, never another store's name."""

from __future__ import annotations

import json

from bot.domain.profile import header_line
from bot.workspaces.slack import blocks
from bot.workspaces.telegram import render

CONVERSATION = {
    "customer_name": "Jo",
    "status": "open",
    "channel_kind": "email",
    "channel_account_id": "nw-mail",
    "store_id": "northwind",
}


def profile(**changes):
    base = {
        "earlier_conversations": 2,
        "open_issues": [{"id": "c2", "store_id": "dragon"}],
        "orders_seen": [{"order": "1001", "store_id": "northwind"}],
        "stores": ["dragon", "northwind"],
        "sentiment_trend": "worsening",
        "pending_links": [],
    }
    return {**base, **changes}


def test_the_header_line_counts_history_orders_and_trend():
    assert header_line(profile()) == (
        "2 earlier conversations in 2 stores · 1 other open · 1 order seen · sentiment worsening"
    )
    assert header_line(
        profile(earlier_conversations=0, open_issues=[], orders_seen=[], stores=["northwind"])
    ) == ("first contact · sentiment worsening")
    assert "dragon" not in header_line(profile())


def test_slack_and_telegram_headers_carry_the_profile_line():
    line = header_line(profile(sentiment_trend="unknown"))
    _text, parent = blocks.parent_message(
        CONVERSATION, store_name="Northwind", history_count=2, profile_line=line
    )
    assert f"*History:* {line}" in json.dumps(parent, ensure_ascii=False)
    assert f"History: {line}" in render.parent_text(CONVERSATION, "Northwind", line)
    assert "History" not in render.parent_text(CONVERSATION, "Northwind")
