"""Assembles the WeCom team workspace from settings: API client, mirror and callback route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.domain.permissions import Role
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from bot.workspaces.wecom.api import WeComApi
from bot.workspaces.wecom.callback import callback_routes
from bot.workspaces.wecom.crypto import WeComCrypto
from bot.workspaces.wecom.handlers import TeamContext
from bot.workspaces.wecom.mirror import StoreGroup, WeComMirror, target_name
from storage.database import Database

CARD_ROLES = frozenset({Role.AGENT, Role.LEAD, Role.ADMIN})


@dataclass
class WeComWiring:
    http: aiohttp.ClientSession
    mirror: WeComMirror
    groups: dict[str, StoreGroup]
    crypto: WeComCrypto

    @classmethod
    def build(cls, settings: Settings, db: Database, clock: Clock) -> WeComWiring | None:
        config = settings.wecom
        if config is None:
            return None
        http = aiohttp.ClientSession()
        api = WeComApi(
            http,
            config.api_base_url,
            config.corp_id,
            config.secret(),
            timeout_seconds=config.timeout_seconds,
        )
        mirror = WeComMirror(
            api,
            db,
            clock,
            config.agent_id,
            groups_from(settings),
            {m.id: m.name for m in settings.members},
            rate_limit_retry_seconds=config.rate_limit_retry_seconds,
            in_flight_seconds=3 * config.timeout_seconds,
        )
        crypto = WeComCrypto(config.token(), config.aes_key(), config.corp_id)
        return cls(http, mirror, groups_from(settings), crypto)

    def targets(self, store_id: str) -> tuple[str, ...]:
        return (target_name(store_id),) if store_id in self.groups else ()

    def routes(
        self, settings: Settings, bus: MessageBus, db: Database, clock: Clock
    ) -> Callable[[web.Application], None]:
        assert settings.wecom is not None
        context = TeamContext(
            bus=bus,
            db=db,
            clock=clock,
            agent_id=settings.wecom.agent_id,
            members_by_user={m.wecom_user_id: m.id for m in settings.members if m.wecom_user_id},
            max_attempts=settings.outbox.max_attempts,
        )
        return callback_routes(self.crypto, context.dispatch, settings.wecom.max_clock_skew_seconds)

    async def close(self) -> None:
        await self.http.close()


def groups_from(settings: Settings) -> dict[str, StoreGroup]:
    userids = {m.id: m.wecom_user_id for m in settings.members if m.wecom_user_id}
    groups = {}
    for store in settings.stores:
        if store.wecom is None:
            continue
        mapped = [(member, role) for member, role in store.members.items() if member in userids]
        leads = [userids[m] for m, role in mapped if role == Role.LEAD]
        groups[store.id] = StoreGroup(
            name=store.name,
            chat_id=store.wecom.chat_id,
            members=tuple(userids[m] for m, _role in mapped),
            card_to=tuple(userids[m] for m, role in mapped if role in CARD_ROLES),
            owner=leads[0] if leads else None,
        )
    return groups
