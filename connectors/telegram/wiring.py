"""Assembles the store bots from settings: one aiogram Bot per account, one dispatcher.

Webhook mode (a public URL is configured): `setWebhook` with the secret token at start and
the shared server's `/tg/<account>` route. Polling mode: one bounded long-polling loop per
bot, after `deleteWebhook` (Telegram refuses `getUpdates` while a webhook is set).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from aiohttp import web

from bot.config import Settings
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.services.rate_limit import RateLimiter
from connectors.telegram.accounts import TelegramAccount, telegram_accounts, telegram_settings
from connectors.telegram.channel import TelegramChannel
from connectors.telegram.inbound import InboundContext, build_router, store_greeting
from connectors.telegram.polling import poll
from connectors.telegram.webhook import webhook_handler
from storage.database import Database

logger = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "edited_message"]


@dataclass
class TelegramStoreBots:
    accounts: dict[str, TelegramAccount]
    bots: dict[str, Bot]
    channel: TelegramChannel
    polling: bool
    poll_timeout: float
    public_url: str | None
    _dispatcher: Dispatcher | None = None

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock) -> TelegramStoreBots | None:
        accounts = {a.id: a for a in telegram_accounts(settings)}
        if not accounts:
            return None
        config = telegram_settings(settings)
        bots = {
            account.id: Bot(
                account.token,
                session=AiohttpSession(
                    api=TelegramAPIServer.from_base(account.api_base_url),
                    timeout=config.request_timeout_seconds,
                ),
            )
            for account in accounts.values()
        }
        channel = TelegramChannel(
            bots,
            db,
            clock,
            RateLimiter(config.per_chat_rate_per_second, 1),
            media_root=Path(settings.storage.data_dir) / "media",
        )
        return cls(
            accounts,
            bots,
            channel,
            config.use_polling(settings.server.public_url),
            config.poll_timeout_seconds,
            settings.server.public_url,
        )

    def attach(self, settings: Settings, bus: MessageBus, db: Database, clock: Clock) -> None:
        config = telegram_settings(settings)
        context = InboundContext(
            bus=bus,
            db=db,
            clock=clock,
            accounts_by_bot={a.bot_id: a for a in self.accounts.values()},
            media_root=Path(settings.storage.data_dir) / "media",
            max_media_bytes=config.max_media_bytes,
            timeout=config.request_timeout_seconds,
            greeting=store_greeting(
                {s.id: {k: v.model_dump() for k, v in s.tone.items()} for s in settings.stores},
                {s.id: list(s.languages) for s in settings.stores},
            ),
        )
        self._dispatcher = Dispatcher()
        self._dispatcher.include_router(build_router(context))

    async def feed(self, account_id: str, update: dict[str, Any]) -> None:
        assert self._dispatcher is not None, "attach() first"
        await self._dispatcher.feed_raw_update(self.bots[account_id], update)

    def routes(self) -> Callable[[web.Application], None]:
        secrets = {a.id: a.secret_token for a in self.accounts.values()}
        handler = webhook_handler(secrets, self.feed)

        def contribute(app: web.Application) -> None:
            app.router.add_post("/tg/{account}", handler)

        return contribute

    async def set_webhooks(self) -> None:
        """Point each bot with a secret at this server (webhook mode only)."""
        if self.polling or not self.public_url:
            return
        for account in self.accounts.values():
            if account.secret_token is None:
                logger.warning("telegram %s: no secret_token_env, webhook not set", account.id)
                continue
            await self.bots[account.id].set_webhook(
                f"{self.public_url.rstrip('/')}/tg/{account.id}",
                secret_token=account.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )

    def polling_tasks(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        if not self.polling:
            return []
        return [
            asyncio.create_task(self._poll(account_id, stop), name=f"telegram-poll-{account_id}")
            for account_id in self.accounts
        ]

    async def _poll(self, account_id: str, stop: asyncio.Event) -> None:
        bot = self.bots[account_id]
        dispatcher = self._dispatcher
        assert dispatcher is not None

        async def get_updates(offset: int | None, poll_seconds: float) -> list[Update]:
            return await bot.get_updates(
                offset=offset,
                timeout=int(poll_seconds),
                allowed_updates=ALLOWED_UPDATES,
                request_timeout=int(poll_seconds) + 10,
            )

        async def handle(update: Update) -> None:
            await dispatcher.feed_update(bot, update)

        await bot.delete_webhook()
        await poll(
            f"store bot {account_id}",
            get_updates,
            handle,
            lambda update: update.update_id,
            stop,
            poll_seconds=self.poll_timeout,
        )

    async def close(self) -> None:
        for bot in self.bots.values():
            await bot.session.close()
