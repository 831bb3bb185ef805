"""Brings the configured stores, accounts, members and knowledge into the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.model import ChannelAccount, Store
from bot.domain.permissions import Grant, Member, ScopeKind
from knowledge.articles import ArticleRecord
from storage import grants as grant_rows
from storage import knowledge
from storage.audit import GENESIS, SYSTEM_CHAIN
from storage.orm import audit_heads, members

CONFIG_SOURCE = "config"


@dataclass(frozen=True)
class Directory:
    stores: Sequence[Store]
    accounts: Sequence[ChannelAccount]
    members: Sequence[Member]
    grants: Sequence[Grant] = ()
    clients: Sequence[tuple[str, str]] = ()  # (id, name)
    identities: Sequence[tuple[str, str, str]] = ()  # (member id, kind, value)

    def all_grants(self) -> list[Grant]:
        """Grants named outright plus each member's store roles."""
        return [
            *self.grants,
            *(
                Grant(m.id, ScopeKind.STORE, store_id, role)
                for m in self.members
                for store_id, role in m.roles.items()
            ),
        ]


async def sync_directory(session: AsyncSession, directory: Directory) -> None:
    """Upsert what the config names; keep rows it no longer names, for history."""
    for store in directory.stores:
        await session.merge(store)
    await session.flush()
    for account in directory.accounts:
        await session.merge(account)
    for member in directory.members:
        exists = (
            await session.execute(select(members.c.id).where(members.c.id == member.id))
        ).first()
        if exists:
            await session.execute(
                update(members).where(members.c.id == member.id).values(name=member.name)
            )
        else:
            await session.execute(insert(members).values(id=member.id, name=member.name))
    await session.flush()
    await grant_rows.sync_clients(session, directory.clients)
    for member_id, kind, value in directory.identities:
        await grant_rows.link_identity(session, member_id, kind, value)
    await grant_rows.replace_config_grants(session, directory.all_grants(), datetime.now(UTC))
    # Chain heads exist before the first event, so concurrent first writers cannot race.
    heads = set((await session.execute(select(audit_heads.c.chain))).scalars())
    for chain in [SYSTEM_CHAIN, *(s.id for s in directory.stores)]:
        if chain not in heads:
            await session.execute(
                insert(audit_heads).values(chain=chain, chain_seq=0, hash=GENESIS)
            )


async def sync_articles(
    session: AsyncSession, articles: Sequence[ArticleRecord], now: datetime
) -> list[ArticleRecord]:
    """Version the config's FAQ articles; those it no longer names are retired.

    Articles from other sources (imports, the console) are left alone. Returns every
    active article, which is what the index must hold.
    """
    configured = [replace(a, source=CONFIG_SOURCE) for a in articles]
    # Once someone edits a config article (console, accepted proposal), that edit owns it.
    owned_elsewhere = await knowledge.active_sources(session, [a.id for a in configured])
    await knowledge.save_articles(
        session,
        [a for a in configured if owned_elsewhere.get(a.id, CONFIG_SOURCE) == CONFIG_SOURCE],
        now,
    )
    await knowledge.retire_missing(session, CONFIG_SOURCE, {a.id for a in configured})
    return await knowledge.active_articles(session)
