"""Test configurations: the same shape as examples/demo.toml, pointed at tmp dirs and fakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings

WEBHOOK_SECRET = "test-webhook-secret"


def settings_dict(
    data_dir: Path, callback_url: str, *, mode: str = "draft", database_url: str | None = None
) -> dict[str, Any]:
    database_url = database_url or f"sqlite+aiosqlite:///{data_dir / 'storedesk.db'}"
    return {
        "server": {"host": "127.0.0.1", "port": 0},
        "storage": {"database_url": database_url, "data_dir": str(data_dir)},
        "console": {"demo_sign_in": True},
        "outbox": {"base_backoff_seconds": 0.05, "max_backoff_seconds": 0.2, "max_attempts": 4},
        "members": [
            {"id": "ana", "name": "Ana Agent"},
            {"id": "sam", "name": "Sam Lead"},
            {"id": "chen", "name": "Chen Client"},
            {"id": "li", "name": "Li Other-store agent"},
        ],
        "stores": [
            {
                "id": "northwind",
                "name": "Northwind Apparel",
                "brand": "Northwind",
                "languages": ["en"],
                "mode": mode,
                "members": {"ana": "agent", "sam": "lead", "chen": "client"},
                "tone": {"en": {"greeting": "Hi {name},", "signoff": "Northwind Support"}},
                "channels": [
                    {"id": "nw-web", "kind": "webchat"},
                    {
                        "id": "nw-market",
                        "kind": "webhook",
                        "secret": WEBHOOK_SECRET,
                        "callback_url": f"{callback_url}/replies",
                    },
                ],
                "faq": [
                    {
                        "id": "returns",
                        "question": "How do I return an item?",
                        "answer": "Return unworn items within 30 days from your order page.",
                    },
                    {
                        "id": "shipping-time",
                        "question": "How long does shipping take?",
                        "answer": "Delivery takes 2-4 business days within the EU.",
                    },
                    {
                        "id": "payment-methods",
                        "question": "Which payment methods do you accept?",
                        "answer": "We accept Visa, Mastercard, PayPal and Apple Pay.",
                    },
                ],
            },
            {
                "id": "dragon",
                "name": "Dragon Electronics",
                "brand": "Dragon",
                "languages": ["zh"],
                "timezone": "Asia/Shanghai",
                "members": {"li": "agent", "sam": "lead"},
                "tone": {"zh": {"greeting": "{name}您好！", "signoff": "龙腾电子客服"}},
                "channels": [{"id": "dragon-web", "kind": "webchat"}],
                "faq": [
                    {
                        "id": "warranty",
                        "question": "产品保修多久？",
                        "answer": "所有电子产品享有一年保修。",
                    },
                    {
                        "id": "shipping",
                        "question": "多久发货？",
                        "answer": "订单在24小时内发货，3到5天送达。",
                    },
                ],
            },
        ],
    }


def make_settings(data_dir: Path, callback_url: str, **kwargs: Any) -> Settings:
    return Settings.model_validate(settings_dict(data_dir, callback_url, **kwargs))


# --- Telegram (opt-in: tests that want it call `add_telegram`) ---------------------------------

TELEGRAM_STORE_TOKEN = "111111:store-bot-northwind"
TELEGRAM_TEAM_TOKEN = "222222:team-bot"
TELEGRAM_SECRET = "tg-secret-1"
TELEGRAM_TEAM_SECRET = "tg-team-secret-1"
TELEGRAM_TEAM_CHAT = -1001234567
TELEGRAM_USER_IDS = {"ana": 7001, "sam": 7002, "chen": 7003}
TELEGRAM_ENV = {
    "TG_NORTHWIND_TOKEN": TELEGRAM_STORE_TOKEN,
    "TG_NORTHWIND_SECRET": TELEGRAM_SECRET,
    "TG_TEAM_TOKEN": TELEGRAM_TEAM_TOKEN,
    "TG_TEAM_SECRET": TELEGRAM_TEAM_SECRET,
}


def add_telegram(raw: dict[str, Any], api_url: str, *, polling: bool = False) -> dict[str, Any]:
    """A Northwind store bot for customers and a team supergroup with topics, on a fake API.

    The tokens and secrets come from `TELEGRAM_ENV`, which the test puts in the environment.
    """
    raw["telegram"] = {
        "api_base_url": api_url,
        "polling": polling,
        "poll_timeout_seconds": 1,
        "request_timeout_seconds": 5,
        "per_chat_rate_per_second": 1.0,
        "team_bot_token_env": "TG_TEAM_TOKEN",
        "team_secret_token_env": "TG_TEAM_SECRET",
    }
    northwind = raw["stores"][0]
    northwind["channels"].append(
        {
            "id": "nw-telegram",
            "kind": "telegram",
            "token_env": "TG_NORTHWIND_TOKEN",
            "secret_token_env": "TG_NORTHWIND_SECRET",
        }
    )
    northwind["telegram"] = {"chat_id": TELEGRAM_TEAM_CHAT, "topics": True}
    for member in raw["members"]:
        if member["id"] in TELEGRAM_USER_IDS:
            member["telegram_user_id"] = TELEGRAM_USER_IDS[member["id"]]
    return raw
