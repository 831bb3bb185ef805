"""Two clients for profile tests: `acme` owns northwind and dragon, `other` owns rival.

Mail accounts in each store give verified email keys without a mail server: the test adds
them as channel accounts and feeds messages through the bus, as the mail poller would.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from bot.domain.commands import ReceiveCustomerMessage
from bot.domain.model import new_id
from main import RunningApp
from storage.orm import channel_accounts

MAIL_ACCOUNTS = {"nw-mail": "northwind", "dragon-mail": "dragon", "rival-mail": "rival"}


def two_clients(config: dict[str, Any]) -> None:
    northwind, dragon = config["stores"][:2]
    northwind["client"] = "acme"
    dragon["client"] = "acme"
    config["members"].append({"id": "rio", "name": "Rio Rival agent"})
    config["stores"].append(
        {
            "id": "rival",
            "name": "Rival Goods",
            "brand": "Rival",
            "languages": ["en"],
            "client": "other",
            "members": {"rio": "agent"},
            "channels": [{"id": "rival-web", "kind": "webchat"}],
        }
    )


async def add_mail_accounts(app: RunningApp) -> None:
    async with app.db.writer.begin() as connection:
        await connection.execute(
            insert(channel_accounts),
            [{"id": a, "store_id": s, "kind": "email"} for a, s in MAIL_ACCOUNTS.items()],
        )


async def mail(app: RunningApp, account: str, sender: str, name: str, text: str) -> str:
    """A customer mail arrives; returns its conversation id."""
    result = await app.core.bus.handle(
        ReceiveCustomerMessage(account, f"<{new_id()}@mail>", sender, name, text)
    )
    assert result.conversation_id is not None
    return result.conversation_id
