"""The `[lark]` section and a store's `lark` group: clear errors naming file, key and reason."""

from __future__ import annotations

import tomllib

import pytest

from bot.config import ConfigError, Settings, load_settings
from tests.support.config import settings_dict
from tests.support.fake_lark import LARK_ENV, NORTHWIND_CHAT, OPEN_IDS, add_lark


def _write(tmp_path, raw: dict) -> str:
    lines = [f'[lark]\napp_id = "{raw["lark"]["app_id"]}"\nencrypt_key_env = "LARK_ENCRYPT_KEY"\n']
    lines.append('[[stores]]\nid = "northwind"\nname = "N"\nbrand = "N"\nlanguages = ["en"]\n')
    lines.append(f'lark = {{ chat_id = "{NORTHWIND_CHAT}" }}\n')
    path = tmp_path / "storedesk.toml"
    path.write_text("".join(lines))
    tomllib.loads(path.read_text())  # the test's own file is valid TOML
    return str(path)


def test_a_valid_lark_config_loads(tmp_path, monkeypatch):
    for name, value in LARK_ENV.items():
        monkeypatch.setenv(name, value)
    raw = add_lark(settings_dict(tmp_path, "http://127.0.0.1:9"), "http://127.0.0.1:9")
    settings = Settings.model_validate(raw)
    assert settings.lark is not None and settings.lark.encrypt_key() == LARK_ENV["LARK_ENCRYPT_KEY"]
    assert settings.stores[0].lark is not None and settings.stores[0].lark.chat_id == NORTHWIND_CHAT
    assert settings.stores[1].lark is not None and settings.stores[1].lark.chat_id is None
    assert {m.id: m.lark_open_id for m in settings.members}["sam"] == OPEN_IDS["sam"]
    settings = load_settings(_write(tmp_path, raw))
    assert settings.lark is not None and settings.lark.api_base_url == "https://open.feishu.cn"


@pytest.mark.parametrize("missing", sorted(LARK_ENV))
def test_a_missing_secret_names_file_key_and_variable(tmp_path, monkeypatch, missing):
    for name, value in LARK_ENV.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing, raising=False)
    raw = add_lark(settings_dict(tmp_path, "http://127.0.0.1:9"), "http://127.0.0.1:9")
    path = _write(tmp_path, raw)
    with pytest.raises(
        ConfigError, match=rf"storedesk.toml: lark\.\w+_env: .*{missing} is not set"
    ):
        load_settings(path)


def test_a_store_group_needs_the_lark_section_and_a_group_id(tmp_path):
    raw = settings_dict(tmp_path, "http://127.0.0.1:9")
    raw["stores"][0]["lark"] = {"chat_id": NORTHWIND_CHAT}
    with pytest.raises(ValueError, match="needs the \\[lark\\] section"):
        Settings.model_validate(raw)
    raw["lark"] = {"app_id": "cli_x1"}
    raw["stores"][0]["lark"] = {"chat_id": "C123"}
    with pytest.raises(ValueError, match="chat_id"):
        Settings.model_validate(raw)
    raw["stores"][0]["lark"] = {}
    raw["members"][0]["lark_open_id"] = "U123"
    with pytest.raises(ValueError, match="lark_open_id"):
        Settings.model_validate(raw)
