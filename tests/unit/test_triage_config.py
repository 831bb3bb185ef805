"""`[stores.risk]`, `[[stores.templates]]`, `[triage]` and `[openai]` in the one config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.model import Route
from bot.domain.risk_policy import DEFAULT_POLICY

STORE = """\
[[stores]]
id = "northwind"
name = "Northwind"
brand = "Northwind"
languages = ["en"]
"""


def load(tmp_path: Path, extra: str):
    path = tmp_path / "storedesk.toml"
    path.write_text(STORE + extra, encoding="utf-8")
    return load_settings(path)


def test_a_store_without_a_risk_section_gets_the_default_policy(tmp_path):
    settings = load(tmp_path, "")
    assert settings.stores[0].risk.to_policy() == DEFAULT_POLICY
    assert settings.openai.model and settings.triage.intent_threshold is None


def test_a_store_policy_maps_intents_sentiment_entities_and_keywords(tmp_path):
    settings = load(
        tmp_path,
        """
[stores.risk]
auto_intents = ["shipping", "order_status"]
intents = { cancel = "review" }
sentiment = { negative = "review" }
entities = { amounts = "review" }
keywords = [{ pattern = "wholesale|批发", route = "review", reason = "wholesale" }]
public_channels = ["nw-reviews"]
mask_pii = false

[[stores.templates]]
intent = "order_status"
language = "en"
text = "Order {order_id} is {status}."
""",
    )
    policy = settings.stores[0].risk.to_policy()
    assert policy.auto_intents == {"shipping", "order_status"}
    assert policy.intent_routes["cancel"] is Route.REVIEW
    assert policy.intent_routes["refund"] is Route.REVIEW  # defaults kept
    assert policy.sentiment_routes == {"angry": Route.REVIEW, "negative": Route.REVIEW}
    assert policy.entity_routes == {"amounts": Route.REVIEW}
    assert policy.keywords[0].reason == "wholesale"
    assert policy.public_channels == {"nw-reviews"} and policy.mask_pii is False
    assert settings.stores[0].templates[0].to_template().intent == "order_status"


@pytest.mark.parametrize(
    ("risk", "reason"),
    [
        ('intents = { refund = "auto" }', "refunds, compensation, disputes"),
        ('intents = { request_chargeback = "draft" }', "always need review"),
        ('intents = { cancel = "later" }', "stores[0].risk.intents.cancel"),
        ('keywords = [{ pattern = "(", route = "review", reason = "x" }]', "regular expression"),
        ("surprise = 1", "stores[0].risk.surprise"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_key(tmp_path, risk, reason):
    with pytest.raises(ConfigError) as problem:
        load(tmp_path, f"\n[stores.risk]\n{risk}\n")
    assert str(problem.value).startswith(str(tmp_path / "storedesk.toml"))
    assert reason in str(problem.value)
