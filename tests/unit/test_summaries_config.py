"""`[summaries]` in the config, and when a conversation is due for one."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.services.summaries import summary_due

STORE = """\
[[stores]]
id = "northwind"
name = "Northwind"
brand = "Northwind"
languages = ["en"]
"""


def test_defaults_and_a_bad_value_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("STOREDESK_DATABASE_URL", raising=False)
    path = tmp_path / "storedesk.toml"
    path.write_text(STORE)
    settings = load_settings(path)
    assert settings.summaries.after_customer_messages == 4
    assert settings.summaries.max_chars == 400
    path.write_text("[summaries]\nafter_customer_messages = -1\n" + STORE)
    with pytest.raises(ConfigError) as problem:
        load_settings(path)
    assert "summaries.after_customer_messages" in str(problem.value)
    assert "storedesk.toml" in str(problem.value)


def test_a_summary_is_due_from_the_threshold_on_and_never_when_turned_off():
    assert [summary_due(n, 4) for n in (1, 3, 4, 5, 9)] == [False, False, True, True, True]
    assert not summary_due(10, 0) and not summary_due(10, None)
