"""The store bots configured in `[[stores.channels]]` with `kind = "telegram"`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings, TelegramConfig, telegram_secret, telegram_token


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
                    token=telegram_token(channel.token_env, where),
                    secret_token=telegram_secret(channel.secret_token_env, where),
                    api_base_url=(channel.api_base_url or default_base).rstrip("/"),
                )
            )
    return accounts
