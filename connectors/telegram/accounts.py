"""The store bots configured in `[[stores.channels]]` with `kind = "telegram"`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from bot.config import ConfigError, Settings, TelegramConfig

TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class TelegramAccount:
    id: str
    store_id: str
    token: str
    secret_token: str | None  # webhook secret; None means the webhook route refuses everything
    api_base_url: str

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])


def telegram_settings(settings: Settings) -> TelegramConfig:
    return settings.telegram or TelegramConfig()


def bot_token(env_name: str, where: str) -> str:
    token = os.environ.get(env_name, "")
    if not TOKEN_SHAPE.match(token):
        raise ConfigError(f"{where}: {env_name} must hold a bot token from BotFather (123:ABC...)")
    return token


def webhook_secret(env_name: str | None, where: str) -> str | None:
    if env_name is None:
        return None
    secret = os.environ.get(env_name, "")
    if not SECRET_SHAPE.match(secret):
        raise ConfigError(
            f"{where}: {env_name} must hold a webhook secret of 1-256 characters A-Z a-z 0-9 _ -"
        )
    return secret


def telegram_accounts(settings: Settings) -> list[TelegramAccount]:
    """Each telegram channel with its token read from the environment (checked at start)."""
    default_base = telegram_settings(settings).api_base_url
    accounts = []
    for store in settings.stores:
        for channel in store.channels:
            if channel.kind != "telegram" or channel.token_env is None:
                continue
            where = f"stores.{store.id}.channels.{channel.id}"
            accounts.append(
                TelegramAccount(
                    id=channel.id,
                    store_id=store.id,
                    token=bot_token(channel.token_env, where),
                    secret_token=webhook_secret(channel.secret_token_env, where),
                    api_base_url=(channel.api_base_url or default_base).rstrip("/"),
                )
            )
    return accounts
