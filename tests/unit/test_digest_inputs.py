"""What people give the digests: config subscriptions, command schedules, and questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.errors import InvalidInput
from bot.services.digest_schedule import parse_request, parse_schedule
from bot.services.question_clusters import cluster_questions

BASE = """
[[members]]
id = "sam"
name = "Sam"

[[stores]]
id = "nw"
name = "Northwind"
brand = "Northwind"
languages = ["en"]
client = "acme"
"""


def settings_with(tmp_path: Path, digest: str):
    path = tmp_path / "storedesk.toml"
    path.write_text(BASE + "\n[[digests]]\n" + digest, encoding="utf-8")
    return load_settings(path)


def test_a_digest_subscription_is_read_from_the_config(tmp_path) -> None:
    settings = settings_with(
        tmp_path,
        'id = "acme-weekly"\ntarget = "file:out"\nclient = "acme"\ncron = "0 8 * * mon"\n'
        'timezone = "Europe/Berlin"\ncadence = "week"\n',
    )
    (digest,) = settings.digests
    assert (digest.client, digest.cron, digest.cadence) == ("acme", "0 8 * * mon", "week")


@pytest.mark.parametrize(
    ("digest", "reason"),
    [
        ('id = "d"\ntarget = "file:x"\nstores = ["nw"]\ncron = "9am"\n', "digests[0].cron"),
        ('id = "d"\ntarget = "file:x"\nstores = ["nw"]\ntimezone = "Mars/Base"\n', "Mars/Base"),
        ('id = "d"\ntarget = "file:x"\nstores = ["nope"]\n', "store 'nope' is not in"),
        ('id = "d"\ntarget = "file:x"\nclient = "other"\n', "no store has client 'other'"),
        ('id = "d"\ntarget = "file:x"\n', "either stores or client"),
        ('id = "d"\ntarget = "slack:C123"\nstores = ["nw"]\n', "needs the [slack] section"),
        ('id = "d"\ntarget = "email:x"\nstores = ["nw"]\n', "digests[0].target"),
        ('id = "d"\ntarget = "email:a@b.example"\nstores = ["nw"]\n', "needs [digest_email]"),
        ('id = "d"\ntarget = "telegram:-100123"\nstores = ["nw"]\n', "team_bot_token_env"),
    ],
)
def test_a_bad_subscription_names_file_key_and_reason(tmp_path, digest, reason) -> None:
    with pytest.raises(ConfigError) as problem:
        settings_with(tmp_path, digest)
    assert str(problem.value).startswith(str(tmp_path / "storedesk.toml"))
    assert reason in str(problem.value)


def test_command_schedules() -> None:
    daily = parse_schedule(["daily", "09:00"])
    assert (daily.cadence, daily.cron, daily.said) == ("day", "0 9 * * *", "daily at 09:00")
    weekly = parse_schedule(["Weekly", "Monday", "8:30"])
    assert (weekly.cadence, weekly.cron) == ("week", "30 8 * * mon")
    for words in (["daily"], ["daily", "25:00"], ["hourly", "09:00"], ["weekly", "x", "09:00"]):
        with pytest.raises(InvalidInput):
            parse_schedule(words)


def test_similar_questions_cluster_across_languages(embedder) -> None:
    texts = [
        "Where is my order?",
        "Do you accept PayPal?",
        "My order has not arrived yet, where is it?",
        "我的订单在哪里？",
        "Which payment methods are accepted?",
        "Can I return these shoes?",
    ]
    ids = [f"m{n}" for n in range(len(texts))]
    clusters = cluster_questions(ids, texts, embedder.embed(texts), min_count=2)
    assert [(c.count, c.message_ids) for c in clusters] == [
        (3, ("m0", "m2", "m3")),
        (2, ("m1", "m4")),
    ]
    assert clusters[0].example in texts


def test_command_requests_with_timezone_and_stores() -> None:
    plain = parse_request(["daily", "09:00"])
    assert (plain.schedule.cron, plain.timezone, plain.store_ids) == ("0 9 * * *", None, ())
    full = parse_request(["weekly", "fri", "17:00", "Europe/Berlin", "nw", "dr", "nw"])
    assert (full.schedule.cron, full.timezone, full.store_ids) == (
        "0 17 * * fri",
        "Europe/Berlin",
        ("nw", "dr"),
    )
    assert parse_request(["daily", "07:00", "utc", "nw"]).timezone == "UTC"
    with pytest.raises(InvalidInput, match="timezone: 'Mars/Base' is unknown"):
        parse_request(["daily", "07:00", "Mars/Base"])
