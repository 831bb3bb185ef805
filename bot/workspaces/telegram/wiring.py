"""Assembles the team bot from settings: a PTB Application without its own updater.

Webhook mode (a public URL is configured): `setWebhook` with the secret token at start and
updates fed to `Application.process_update` from the shared server's `/telegram/team` route.
Polling mode: a bounded long-polling loop in the app's own task set. Redelivered updates are
dropped by `update_id`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.config import Settings, telegram_secret, telegram_token
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.workspaces.telegram.digest_command import add_digest_command
from bot.workspaces.telegram.handlers import TeamContext, add_team_handlers
from bot.workspaces.telegram.mirror import StorePlace, TelegramMirror, target_name
from connectors.telegram.accounts import telegram_settings
from connectors.telegram.polling import poll
from connectors.telegram.webhook import webhook_handler
from knowledge.service import KnowledgeBase
from storage import inbound
from storage.database import Database
from storage.grants import identity_lookup

ALLOWED_UPDATES = ["message", "callback_query"]
DEDUPE_SOURCE = "telegram:team"
ROUTE = "/telegram/team"


@dataclass
class TelegramTeamWiring:
    application: Application  # type: ignore[type-arg]
    mirror: TelegramMirror
    places: dict[str, StorePlace]
    secret: str | None
    polling: bool
    poll_timeout: float
    public_url: str | None

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock) -> TelegramTeamWiring | None:
        config = telegram_settings(settings)
        if config.team_bot_token_env is None:
            return None
        token = telegram_token(config.team_bot_token_env, "telegram.team_bot_token_env")
        secret = telegram_secret(config.team_secret_token_env, "telegram.team_secret_token_env")
        base = config.api_base_url.rstrip("/")
        timeout = config.request_timeout_seconds
        application = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .write_timeout(timeout)
            .get_updates_read_timeout(config.poll_timeout_seconds + timeout)
            .updater(None)
            .build()
        )
        places = {
            store.id: StorePlace(store.telegram.chat_id, store.telegram.topics, store.name)
            for store in settings.stores
            if store.telegram is not None
        }
        mirror = TelegramMirror(
            application.bot,
            db,
            clock,
            places,
            member_names={m.id: m.name for m in settings.members},
            media_root=Path(settings.storage.data_dir) / "media",
            in_flight_seconds=3 * timeout,
        )
        return cls(
            application,
            mirror,
            places,
            secret,
            config.use_polling(settings.server.public_url),
            config.poll_timeout_seconds,
            settings.server.public_url,
        )

    def targets(self, store_id: str) -> tuple[str, ...]:
        place = self.places.get(store_id)
        return (target_name(place.chat_id),) if place is not None else ()

    async def start(
        self,
        settings: Settings,
        bus: MessageBus,
        db: Database,
        clock: Clock,
        knowledge: KnowledgeBase | None = None,
    ) -> None:
        context = TeamContext(
            bus=bus,
            db=db,
            members_by_user={
                m.telegram_user_id: m.id for m in settings.members if m.telegram_user_id
            },
            chats=frozenset(place.chat_id for place in self.places.values()),
            identities=identity_lookup(db),
            media_root=Path(settings.storage.data_dir) / "media",
            max_media_bytes=telegram_settings(settings).max_media_bytes,
            file_accounts=frozenset(
                channel.id
                for store in settings.stores
                for channel in store.channels
                if channel.kind == "telegram"
            ),
            knowledge=knowledge,
        )
        add_team_handlers(self.application, context)
        add_digest_command(self.application, context, clock, self.places)
        self._db, self._clock = db, clock
        await self.application.initialize()
        if not self.polling and self.public_url and self.secret:
            await self.application.bot.set_webhook(
                f"{self.public_url.rstrip('/')}{ROUTE}",
                secret_token=self.secret,
                allowed_updates=ALLOWED_UPDATES,
            )

    async def feed(self, _name: str, data: dict[str, Any]) -> None:
        update = Update.de_json(data, self.application.bot)
        await self._process(update)

    async def _process(self, update: Update) -> None:
        if not await inbound.claim_event(
            self._db, DEDUPE_SOURCE, str(update.update_id), self._clock.now()
        ):
            return
        await self.application.process_update(update)

    def routes(self) -> Callable[[web.Application], None]:
        handler = webhook_handler({"team": self.secret}, self.feed)

        def contribute(app: web.Application) -> None:
            app.router.add_post(ROUTE, handler)

        return contribute

    def polling_task(self, stop: asyncio.Event) -> asyncio.Task[None] | None:
        if not self.polling:
            return None
        return asyncio.create_task(self._poll(stop), name="telegram-team-poll")

    async def _poll(self, stop: asyncio.Event) -> None:
        bot = self.application.bot

        async def get_updates(offset: int | None, poll_seconds: float) -> Any:
            return await bot.get_updates(
                offset=offset, timeout=int(poll_seconds), allowed_updates=ALLOWED_UPDATES
            )

        await bot.delete_webhook()
        await poll(
            "team bot",
            get_updates,
            self._process,
            lambda update: update.update_id,
            stop,
            poll_seconds=self.poll_timeout,
        )

    async def close(self) -> None:
        await self.application.shutdown()
