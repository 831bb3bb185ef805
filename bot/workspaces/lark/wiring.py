"""Assembles the Lark adapter from settings: API client, mirror, event route.

`main.py` calls `LarkWiring.build` (None without a `[lark]` section), registers the mirror
for `lark:` targets, adds `routes(...)` to the shared server and `close` to the closers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.services.rate_limit import RateLimiter
from bot.workspaces.lark.api import LarkApi
from bot.workspaces.lark.events import ROUTE, EventSecurity, event_handler
from bot.workspaces.lark.handlers import LarkTeam
from bot.workspaces.lark.mirror import LarkMirror, StoreGroup, target_name
from storage import inbound
from storage.database import Database

DEDUPE_SOURCE = "lark:events"


@dataclass
class LarkWiring:
    http: aiohttp.ClientSession
    api: LarkApi
    mirror: LarkMirror
    groups: dict[str, StoreGroup]
    security: EventSecurity
    members_by_open_id: dict[str, str]

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock) -> LarkWiring | None:
        config = settings.lark
        if config is None:
            return None
        open_ids = {m.id: m.lark_open_id for m in settings.members if m.lark_open_id}
        groups = {
            store.id: StoreGroup(
                store.id,
                store.name,
                store.lark.chat_id,
                tuple(open_ids[m] for m in store.members if m in open_ids),
            )
            for store in settings.stores
            if store.lark is not None
        }
        http = aiohttp.ClientSession()
        api = LarkApi(
            http,
            config.api_base_url,
            config.app_id,
            config.app_secret(),
            RateLimiter(config.per_chat_rate_per_second, config.burst),
            timeout_seconds=config.timeout_seconds,
        )
        mirror = LarkMirror(
            api,
            db,
            clock,
            groups,
            member_names={m.id: m.name for m in settings.members},
        )
        security = EventSecurity(
            config.verification_token(), config.encrypt_key(), config.max_clock_skew_seconds
        )
        members = {open_id: member_id for member_id, open_id in open_ids.items()}
        return cls(http, api, mirror, groups, security, members)

    def targets(self, store_id: str) -> tuple[str, ...]:
        return (target_name(store_id),) if store_id in self.groups else ()

    def routes(
        self, bus: MessageBus, db: Database, clock: Clock
    ) -> Callable[[web.Application], None]:
        team = LarkTeam(bus, db, self.api, self.groups, self.members_by_open_id)

        async def claim(event_id: str) -> bool:
            return await inbound.claim_event(db, DEDUPE_SOURCE, event_id, clock.now())

        handler = event_handler(self.security, claim, team.handle)

        def contribute(app: web.Application) -> None:
            app.router.add_post(ROUTE, handler)

        return contribute

    async def close(self) -> None:
        await self.http.close()
