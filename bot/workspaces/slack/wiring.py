"""Assembles the Slack adapter from settings: client, pacing, mirror, listeners, transports."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.services.rate_limit import RateLimiter
from bot.workspaces.slack.api import SlackApi
from bot.workspaces.slack.app import SlackDirectory, build_slack_app
from bot.workspaces.slack.digest_target import SlackDigestTarget
from bot.workspaces.slack.knowledge_actions import register_knowledge_actions
from bot.workspaces.slack.mirror import SlackMirror, target_name
from bot.workspaces.slack.slash_commands import register_slash_commands, store_channels
from knowledge.service import KnowledgeBase
from storage.database import Database
from storage.grants import identity_lookup


def needs_supervisor(conversation: dict[str, Any], draft: dict[str, Any]) -> bool:
    return bool(conversation.get("review_required")) or draft.get("route") == "review"


@dataclass
class SlackWiring:
    client: AsyncWebClient
    api: SlackApi
    mirror: SlackMirror
    directory: SlackDirectory
    signing_secret: str | None
    app_token: str | None
    _targets: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock) -> SlackWiring:
        slack = settings.slack
        assert slack is not None
        # The SDK's own retries stay off: a retried post could appear twice; the outbox retries.
        client = AsyncWebClient(
            token=slack.bot_token(),
            base_url=slack.api_url,
            timeout=int(max(1, slack.timeout_seconds)),
            retry_handlers=[],
        )
        api = SlackApi(client, RateLimiter(slack.rate_per_second, slack.burst))
        targets: dict[str, tuple[str, ...]] = {}
        client_channels: set[str] = set()
        for store in settings.stores:
            if store.slack is None:
                continue
            names = [target_name(store.slack.channel, interactive=True)]
            if store.slack.client_channel:
                names.append(target_name(store.slack.client_channel, interactive=False))
                client_channels.add(store.slack.client_channel)
            targets[store.id] = tuple(names)
        mirror = SlackMirror(
            api,
            db,
            clock,
            store_names={s.id: s.name for s in settings.stores},
            member_names={m.id: m.name for m in settings.members},
            supervisor_check=needs_supervisor,
            in_flight_seconds=3 * slack.timeout_seconds,
            member_mentions={m.id: m.slack_user_id for m in settings.members if m.slack_user_id},
        )
        directory = SlackDirectory(
            members_by_user={m.slack_user_id: m.id for m in settings.members if m.slack_user_id},
            client_channels=frozenset(client_channels),
            members_by_email={
                m.email.lower(): m.id for m in settings.members if m.email and not m.slack_user_id
            },
            identities=identity_lookup(db),
        )
        app_token = slack.app_token()
        secret = None if app_token else slack.signing_secret()
        return cls(client, api, mirror, directory, secret, app_token, targets)

    def targets(self, store_id: str) -> tuple[str, ...]:
        return self._targets.get(store_id, ())

    def bolt_app(
        self, bus: MessageBus, db: Database, clock: Clock, knowledge: KnowledgeBase | None = None
    ) -> AsyncApp:
        app = build_slack_app(
            client=self.client,
            signing_secret=self.signing_secret,
            bus=bus,
            db=db,
            api=self.api,
            directory=self.directory,
            clock=clock,
        )
        register_slash_commands(
            app,
            bus=bus,
            db=db,
            directory=self.directory,
            api=self.api,
            clock=clock,
            store_by_channel=store_channels(self._targets),
        )
        if knowledge is not None:
            register_knowledge_actions(
                app, kb=knowledge, bus=bus, db=db, api=self.api, directory=self.directory
            )
        return app

    def http_routes(self, app: AsyncApp) -> Callable[[web.Application], None]:
        return slack_http_routes(app)

    def digest_target(self, channel: str) -> SlackDigestTarget:
        return SlackDigestTarget(self.client, channel)

    async def run_socket_mode(self, app: AsyncApp, stop: asyncio.Event) -> None:
        """Socket Mode: no public URL; Slack delivers over a websocket we open."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, self.app_token)
        await handler.connect_async()
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(Exception):
                await handler.close_async()


def slack_http_routes(app: AsyncApp) -> Callable[[web.Application], None]:
    """HTTP mode: bolt checks every request's signature; a bad one is answered 401."""

    async def dispatch(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    def contribute(web_app: web.Application) -> None:
        web_app.router.add_post("/slack/events", dispatch)
        web_app.router.add_post("/slack/actions", dispatch)

    return contribute
