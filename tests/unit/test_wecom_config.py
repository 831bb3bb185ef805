"""The [wecom] section and per-store groups: a bad one fails at start naming key and reason."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings

BASE = """\
[wecom]
corp_id = "wwcorp1"
agent_id = 1000002

[[members]]
id = "ana"
name = "Ana"
{ana}

[[members]]
id = "sam"
name = "Sam"
wecom_user_id = "sam.w"

[[stores]]
id = "northwind"
name = "Northwind"
brand = "Northwind"
languages = ["en"]
members = {{ ana = "agent", sam = "lead" }}
wecom = {{ {store} }}
"""
GOOD_ENV = {
    "WECOM_SECRET": "s",
    "WECOM_TOKEN": "t",
    "WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.delenv("STOREDESK_DATABASE_URL", raising=False)
    for name, value in GOOD_ENV.items():
        monkeypatch.setenv(name, value)


def load(tmp_path, *, ana='wecom_user_id = "ana.w"', store="", head=""):
    path = tmp_path / "storedesk.toml"
    path.write_text(head + BASE.format(ana=ana, store=store), encoding="utf-8")
    return load_settings(path)


def test_a_store_group_made_on_demand_or_given_loads(tmp_path):
    assert load(tmp_path).stores[0].wecom is not None
    given = load(tmp_path, ana="", store='chat_id = "nwgroup1"')
    assert given.stores[0].wecom.chat_id == "nwgroup1"
    assert given.members[1].wecom_user_id == "sam.w"


def test_a_group_made_on_demand_needs_two_mapped_members(tmp_path):
    with pytest.raises(ConfigError, match="wecom needs chat_id, or two store members"):
        load(tmp_path, ana="")


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("WECOM_SECRET", "", "wecom.secret_env: environment variable WECOM_SECRET is not set"),
        ("WECOM_TOKEN", "", "wecom.token_env: environment variable WECOM_TOKEN is not set"),
        ("WECOM_AES_KEY", "tooshort", "wecom.aes_key_env: WECOM_AES_KEY must hold"),
        ("WECOM_AES_KEY", "!" * 43, "wecom.aes_key_env: WECOM_AES_KEY must hold"),
    ],
)
def test_missing_or_misshapen_secrets_fail_naming_the_key(
    tmp_path, monkeypatch, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=reason):
        load(tmp_path)


def test_a_store_group_without_the_section_fails(tmp_path):
    path = tmp_path / "storedesk.toml"
    path.write_text(BASE.format(ana="", store="").split("\n", 4)[4], encoding="utf-8")
    with pytest.raises(ConfigError, match="a wecom group needs the \\[wecom\\] section"):
        load_settings(path)


@pytest.mark.parametrize(
    ("store", "key"),
    [('chat_id = "no spaces allowed"', "stores[0].wecom.chat_id"), ("extra = 1", "extra")],
)
def test_bad_store_keys_are_named(tmp_path, store, key):
    with pytest.raises(ConfigError, match=key.replace("[", "\\[").replace("]", "\\]")):
        load(tmp_path, store=store)
