"""The pure rules behind routing and SLA timers, and how the config file states them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, Settings, load_settings
from bot.domain.model import ConversationStatus, Direction, Message
from bot.domain.routing import MemberProfile, RoutingPolicy, RoutingRule, least_loaded
from bot.domain.sla import (
    SlaClock,
    SlaPolicy,
    SlaStage,
    conversation_sla,
    duration_words,
    waiting_period,
)
from bot.routing_config import SlaConfig
from bot.workspaces.slack import blocks
from bot.workspaces.telegram import render
from tests.support.config import settings_dict

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
POLICY = SlaPolicy(first_response_seconds=120, next_response_seconds=300, reminder_seconds=30)


def _message(n: int, direction: Direction, at_seconds: float) -> Message:
    return Message(f"m{n}", "c1", direction, "text", T0 + timedelta(seconds=at_seconds))


def test_rule_matches_language_and_intent_and_empty_lists_match_anything() -> None:
    german_refunds = RoutingRule("de-refunds", frozenset({"de"}), frozenset({"refund_request"}))
    assert german_refunds.matches("de", "refund_request")
    assert not german_refunds.matches("en", "refund_request")
    assert not german_refunds.matches("de", None)
    assert RoutingRule("any").matches(None, None)


def test_candidates_follow_the_rule_and_what_members_declare() -> None:
    policy = RoutingPolicy(
        rules={},
        teams={"frontline": ["li", "ana", "bo"]},
        profiles={
            "ana": MemberProfile(frozenset({"en"})),
            "bo": MemberProfile(frozenset({"de", "en"}), frozenset({"refunds"})),
        },
    )
    team = RoutingRule("t", team="frontline")
    assert policy.candidates(team, "de", []) == ["li", "bo"]  # li declared no languages
    skilled = RoutingRule("s", skills=frozenset({"refunds"}))
    assert policy.candidates(skilled, "en", ["ana", "bo", "sam"]) == ["bo"]
    assert policy.candidates(RoutingRule("p", member="ana"), "de", []) == []


def test_least_loaded_wins_and_ties_keep_the_rule_order() -> None:
    assert least_loaded(["ana", "bo"], {"ana": 2, "bo": 1}) == "bo"
    assert least_loaded(["bo", "ana"], {}) == "bo"
    assert least_loaded([], {}) is None


def test_the_wait_starts_at_the_first_customer_message_after_the_last_reply() -> None:
    first = [_message(1, Direction.IN, 0), _message(2, Direction.IN, 5)]
    period = waiting_period(first)
    assert period is not None and period.message_id == "m1" and period.first
    answered = [*first, _message(3, Direction.OUT, 20), _message(4, Direction.NOTE, 25)]
    assert waiting_period(answered) is None
    again = [*answered, _message(5, Direction.IN, 60), _message(6, Direction.IN, 70)]
    period = waiting_period(again)
    assert period is not None and period.message_id == "m5" and not period.first


def test_stages_move_from_ok_to_reminder_to_breached() -> None:
    messages = [_message(1, Direction.IN, 0)]

    def stage_at(seconds: float) -> SlaStage:
        state = conversation_sla(
            ConversationStatus.OPEN, messages, POLICY, T0 + timedelta(seconds=seconds)
        )
        assert state is not None and state.clock == SlaClock.FIRST_RESPONSE
        return state.stage

    assert [stage_at(s) for s in (29, 30, 119, 120)] == [
        SlaStage.OK,
        SlaStage.REMINDER,
        SlaStage.REMINDER,
        SlaStage.BREACHED,
    ]
    resolved = conversation_sla(ConversationStatus.RESOLVED, messages, POLICY, T0)
    assert resolved is None


def test_the_next_response_clock_has_its_own_target() -> None:
    messages = [
        _message(1, Direction.IN, 0),
        _message(2, Direction.OUT, 10),
        _message(3, Direction.IN, 100),
    ]
    state = conversation_sla(ConversationStatus.OPEN, messages, POLICY, T0 + timedelta(seconds=300))
    assert state is not None
    assert state.clock == SlaClock.NEXT_RESPONSE and state.stage == SlaStage.REMINDER
    assert state.age_seconds == 200 and state.remaining_seconds == 100
    assert state.due_at == T0 + timedelta(seconds=400)


def test_durations_read_short() -> None:
    assert [duration_words(s) for s in (45, 120, 150, 5400)] == [
        "45 s",
        "2 min",
        "2 min 30 s",
        "1 h 30 min",
    ]


def test_sla_config_has_defaults_and_rejects_a_late_reminder() -> None:
    assert SlaConfig().policy() == SlaPolicy(120, 300, 30)
    with pytest.raises(ValidationError, match="reminder_seconds"):
        SlaConfig(first_response_seconds=60, reminder_seconds=60)
    with pytest.raises(ValidationError):
        SlaConfig(first_response_seconds=0)


def _config(change: Any) -> dict[str, Any]:
    raw = settings_dict(Path("/tmp/unused"), "http://127.0.0.1:9")
    change(raw)
    return raw


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda c: c.update(teams=[{"id": "t", "members": ["nobody"]}]), "'nobody' is not in"),
        (
            lambda c: c["stores"][0].update(routing={"rules": [{"team": "ghosts"}]}),
            "team 'ghosts' is not in",
        ),
        (
            lambda c: c["stores"][0].update(routing={"rules": [{"member": "ana", "team": "t"}]}),
            "not both",
        ),
        (lambda c: c["stores"][0].update(routing={"rules": [{"queue": "x"}]}), "Extra inputs"),
    ],
)
def test_routing_config_names_only_known_people(change: Any, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings.model_validate(_config(change))


def test_members_may_declare_languages_and_skills() -> None:
    def change(config: dict[str, Any]) -> None:
        config["members"][0].update(languages=["en", "de"], skills=["refunds"])
        config["teams"] = [{"id": "frontline", "members": ["ana"]}]
        config["stores"][0]["routing"] = {"rules": [{"languages": ["de"], "team": "frontline"}]}
        config["stores"][0]["sla"] = {"first_response_seconds": 60}

    settings = Settings.model_validate(_config(change))
    assert settings.members[0].skills == ["refunds"]
    assert settings.stores[0].sla is not None and settings.stores[0].sla.reminder_seconds == 30


def test_a_bad_sla_section_names_the_file_key_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "storedesk.toml"
    path.write_text(
        '[[stores]]\nid = "nw"\nname = "NW"\nbrand = "NW"\nlanguages = ["en"]\n'
        "[stores.sla]\nfirst_response_seconds = 60\nreminder_seconds = 90\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as problem:
        load_settings(path)
    assert str(problem.value).startswith(f"{path}: stores[0].sla: ")
    assert "reminder_seconds (90) must be shorter" in str(problem.value)


REMINDER = {
    "kind": "sla_reminder",
    "actor": "storedesk:sla",
    "at": "2026-11-23T10:00:30+00:00",
    "payload": {"clock": "first_response", "waited_seconds": 30, "target_seconds": 120},
}


def test_the_reminder_reads_the_same_in_slack_and_telegram() -> None:
    text, _blocks = blocks.event_line(REMINDER, actor_name="Storedesk")
    assert "SLA reminder: the customer has waited 30 s for a first response (target 2 min)" in text
    line = render.event_text(REMINDER, "Storedesk")
    assert line is not None and "the customer has waited 30 s for a first response" in line


def test_an_sla_escalation_mentions_only_well_formed_slack_users() -> None:
    event = {
        "kind": "escalated",
        "actor": "storedesk:sla",
        "at": "2026-11-23T10:02:00+00:00",
        "payload": {"reason": "SLA breached: no first response within 2 min", "leads": ["sam"]},
    }
    text, rendered = blocks.event_line(
        event, actor_name="Storedesk", mention_ids=["USAM", "<!channel>"]
    )
    assert text.endswith(" <@USAM>") and "<!channel>" not in text
    assert "<@USAM>" in str(rendered) and "channel>" not in str(rendered)
