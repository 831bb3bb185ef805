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
