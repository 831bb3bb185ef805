"""Metric definitions on a generated history whose answers are worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.services.metrics import (
    Dimension,
    StoreInfo,
    breakdown,
    derive_facts,
    in_period,
    question_ids,
    summarize,
)
from bot.services.periods import completed_before, named_period, period_of
from tests.support.history import HistoryBuilder, busy_day

STORES = {
    "nw": StoreInfo("nw", "Northwind", "UTC", "acme"),
    "dr": StoreInfo("dr", "Dragon", "Asia/Shanghai", None),
}
DAY = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def history() -> HistoryBuilder:
    return busy_day(DAY)


def test_store_day_metrics_match_hand_worked_answers(history: HistoryBuilder) -> None:
    period = period_of(date(2026, 11, 22), "day", "UTC")
    facts = in_period(derive_facts(history.records, STORES), period.start, period.end)
    m = summarize(facts)
    assert (m.conversations, m.active_conversations) == (4, 4)
    assert (m.messages_in, m.messages_out, m.auto_replies) == (6, 5, 1)
    assert m.auto_reply_rate == pytest.approx(0.2)
    # first responses: 600, 300, 30, 1200, 1800 -> median 600, p90 (nearest rank 5) 1800
    assert (m.first_response.count, m.first_response.median, m.first_response.p90) == (
        5,
        600.0,
        1800.0,
    )
    assert (m.resolution.count, m.resolution.median) == (1, 3600.0)
    assert (m.approved, m.edited, m.auto_sent_drafts, m.discarded) == (1, 1, 1, 1)
    assert m.draft_acceptance_rate == pytest.approx(0.75)
    assert m.review_pass_rate == pytest.approx(0.5)
    assert m.edit_rate == pytest.approx(0.5)
    assert m.escalation_rate == pytest.approx(0.25)
    assert m.takeover_rate == pytest.approx(0.25)
    assert m.sla_breaches == 1
    assert (m.drafts, m.unsure_drafts) == (6, 1)
    assert m.intents == {"returns": 3, "shipping": 2, "unknown": 1}
    assert m.sentiments == {"unknown": 3, "neutral": 1, "positive": 1, "negative": 1}


def test_breakdowns_by_agent_channel_intent_and_client(history: HistoryBuilder) -> None:
    facts = derive_facts(history.records, STORES)
    agents = breakdown(facts, Dimension.AGENT)
    assert sorted(agents) == ["ana", "sam"]
    assert (agents["ana"].approved, agents["ana"].edited) == (1, 1)
    assert agents["ana"].first_response.count == 3  # A twice, D once
    assert agents["sam"].taken_over_conversations == 1
    channels = breakdown(facts, Dimension.CHANNEL)
    assert {k: v.messages_in for k, v in channels.items()} == {"market": 3, "web": 3}
    intents = breakdown(facts, Dimension.INTENT)
    assert intents["returns"].escalated_conversations == 1
    assert intents["unknown"].edited == 1
    assert list(breakdown(facts, Dimension.CLIENT)) == ["acme"]


def test_question_ids_name_asked_and_unanswered_messages(history: HistoryBuilder) -> None:
    asked, unanswered = question_ids(derive_facts(history.records, STORES))
    assert len(asked) == 6
    first_of_c = next(
        r.payload["message_id"]
        for r in history.records
        if r.kind == "received" and r.conversation_id == "nw-C"
    )
    assert unanswered == [first_of_c]


def test_days_are_cut_at_the_store_s_local_midnight() -> None:
    h = HistoryBuilder()
    # 23:30 UTC on the 21st is 07:30 on the 22nd in Shanghai; 16:30 UTC on the 22nd is
    # 00:30 on the 23rd there.
    h.customer_message(datetime(2026, 11, 21, 23, 30, tzinfo=UTC), "dr", "E", new=True)
    h.customer_message(datetime(2026, 11, 22, 16, 30, tzinfo=UTC), "dr", "F", new=True)
    h.customer_message(datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC), "dr", "G", new=True)
    facts = derive_facts(h.records, STORES)
    days = breakdown(facts, Dimension.DAY)
    assert {k: v.conversations for k, v in days.items()} == {"2026-11-22": 2, "2026-11-23": 1}
    period = period_of(date(2026, 11, 22), "day", "Asia/Shanghai")
    assert period.start == datetime(2026, 11, 21, 16, tzinfo=UTC)
    assert summarize(in_period(facts, period.start, period.end)).conversations == 2


def test_an_episode_that_began_the_day_before_is_measured_from_its_start() -> None:
    h = HistoryBuilder()
    h.customer_message(datetime(2026, 11, 21, 22, tzinfo=UTC), "nw", "H", new=True)
    h.reply(datetime(2026, 11, 22, 1, tzinfo=UTC), "nw", "H", "ana")
    h.event(datetime(2026, 11, 22, 2, tzinfo=UTC), "resolved", "nw", "H", actor="ana")
    period = period_of(date(2026, 11, 22), "day", "UTC")
    m = summarize(in_period(derive_facts(h.records, STORES), period.start, period.end))
    assert m.conversations == 0  # opened the day before
    assert m.first_response.median == 3 * 3600
    assert m.resolution.median == 4 * 3600


def test_dst_day_is_23_hours_and_weeks_start_on_monday() -> None:
    spring = period_of(date(2026, 3, 29), "day", "Europe/Berlin")
    assert spring.end - spring.start == timedelta(hours=23)
    week = period_of(date(2026, 11, 25), "week", "UTC")
    assert (week.label, week.first_day) == ("2026-W48", date(2026, 11, 23))
    assert week.previous().label == "2026-W47"
    fired = datetime(2026, 11, 23, 1, tzinfo=UTC)  # 09:00 in Shanghai on the 23rd
    assert completed_before(fired, "day", "Asia/Shanghai").label == "2026-11-22"
    assert named_period("yesterday", fired, "UTC").label == "2026-11-22"
    assert named_period("last-week", fired, "UTC").label == "2026-W47"
