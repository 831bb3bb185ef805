"""Role grants by scope, their per-store expansion, and members' workspace identities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.membership import Invitation
from bot.domain.permissions import Grant, Role, ScopeKind, effective_roles
from storage.database import Database
from storage.orm import (
    clients,
    invitations,
    member_grants,
    member_identities,
    member_roles,
    members,
    stores,
)

CONFIG_SOURCE = "config"
INVITE_SOURCE = "invite"


@dataclass(frozen=True)
class GrantRow:
    grant: Grant
    source: str
    granted_by: str | None


async def sync_clients(session: AsyncSession, named: Sequence[tuple[str, str]]) -> None:
    existing = set((await session.execute(select(clients.c.id))).scalars())
    for client_id, name in named:
        if client_id in existing:
            await session.execute(
                update(clients).where(clients.c.id == client_id).values(name=name)
            )
        else:
            await session.execute(insert(clients).values(id=client_id, name=name))


async def replace_config_grants(
    session: AsyncSession, grants: Sequence[Grant], now: datetime
) -> None:
    """The config's grants replace the config's previous ones; invited grants stay, unless
    the config now names the same member and scope (the file is the operator's word)."""
    await session.execute(delete(member_grants).where(member_grants.c.source == CONFIG_SOURCE))
    for grant in grants:
        await session.execute(
            delete(member_grants).where(
                member_grants.c.member_id == grant.member_id,
                member_grants.c.scope == grant.scope.value,
                member_grants.c.scope_id == grant.scope_id,
            )
        )
    if grants:
        await session.execute(
            insert(member_grants),
            [_row(g, CONFIG_SOURCE, None, now) for g in grants],
        )
    await rebuild_roles(session)


async def put_grant(
    session: AsyncSession, grant: Grant, *, source: str, granted_by: str | None, now: datetime
) -> None:
    await session.execute(
        delete(member_grants).where(
            member_grants.c.member_id == grant.member_id,
            member_grants.c.scope == grant.scope.value,
            member_grants.c.scope_id == grant.scope_id,
        )
    )
    await session.execute(insert(member_grants).values(_row(grant, source, granted_by, now)))
    await rebuild_roles(session, [grant.member_id])


async def remove_grant(session: AsyncSession, grant: Grant) -> bool:
    result = await session.execute(
        delete(member_grants).where(
            member_grants.c.member_id == grant.member_id,
            member_grants.c.scope == grant.scope.value,
            member_grants.c.scope_id == grant.scope_id,
        )
    )
    await rebuild_roles(session, [grant.member_id])
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def grants_of(
    session: AsyncSession, member_ids: Iterable[str] | None = None
) -> list[GrantRow]:
    query = select(member_grants).order_by(
        member_grants.c.member_id, member_grants.c.scope, member_grants.c.scope_id
    )
    if member_ids is not None:
        query = query.where(member_grants.c.member_id.in_(list(member_ids)))
    return [
        GrantRow(
            Grant(r.member_id, ScopeKind(r.scope), r.scope_id, Role(r.role)),
            r.source,
            r.granted_by,
        )
        for r in (await session.execute(query)).all()
    ]


async def store_clients(session: AsyncSession) -> dict[str, str | None]:
    rows = (await session.execute(select(stores.c.id, stores.c.client_id))).all()
    return {r.id: r.client_id for r in rows}


async def rebuild_roles(session: AsyncSession, member_ids: Sequence[str] | None = None) -> None:
    """Expand grants into per-store roles for the given members (all when None)."""
    rows = await grants_of(session, member_ids)
    by_member: dict[str, list[Grant]] = {}
    for row in rows:
        by_member.setdefault(row.grant.member_id, []).append(row.grant)
    scope = list(member_ids) if member_ids is not None else None
    clear = delete(member_roles)
    if scope is not None:
        clear = clear.where(member_roles.c.member_id.in_(scope))
    await session.execute(clear)
    store_map = await store_clients(session)
    values = [
        {"member_id": member_id, "store_id": store_id, "role": role.value}
        for member_id, grants in by_member.items()
        for store_id, role in effective_roles(grants, store_map).items()
    ]
    if values:
        await session.execute(insert(member_roles), values)


async def ensure_member(session: AsyncSession, member_id: str, name: str) -> None:
    exists = (await session.execute(select(members.c.id).where(members.c.id == member_id))).first()
    if exists is None:
        await session.execute(insert(members).values(id=member_id, name=name))


async def member_ids(session: AsyncSession) -> set[str]:
    return set((await session.execute(select(members.c.id))).scalars())


async def member_for_identity(session: AsyncSession, kind: str, value: str) -> str | None:
    return (
        await session.execute(
            select(member_identities.c.member_id).where(
                member_identities.c.kind == kind, member_identities.c.value == value
            )
        )
    ).scalar()


async def link_identity(session: AsyncSession, member_id: str, kind: str, value: str) -> None:
    """One identity names one member; linking it again to someone else moves it."""
    await session.execute(
        delete(member_identities).where(
            member_identities.c.kind == kind, member_identities.c.value == value
        )
    )
    await session.execute(
        insert(member_identities).values(kind=kind, value=value, member_id=member_id)
    )


def _row(grant: Grant, source: str, granted_by: str | None, now: datetime) -> dict[str, object]:
    return {
        "member_id": grant.member_id,
        "scope": grant.scope.value,
        "scope_id": grant.scope_id,
        "role": grant.role.value,
        "source": source,
        "granted_by": granted_by,
        "created_at": now,
    }


class SqlMemberships:
    """The `Memberships` port over the unit of work's session."""

    def __init__(self, session: AsyncSession, now: Callable[[], datetime]) -> None:
        self._session = session
        self._now = now

    async def stores_in(self, scope: ScopeKind, scope_id: str) -> list[str]:
        query = select(stores.c.id).order_by(stores.c.id)
        if scope == ScopeKind.CLIENT:
            query = query.where(stores.c.client_id == scope_id)
        elif scope == ScopeKind.STORE:
            query = query.where(stores.c.id == scope_id)
        return list((await self._session.execute(query)).scalars())

    async def put_grant(self, grant: Grant, *, source: str, granted_by: str | None) -> None:
        await put_grant(self._session, grant, source=source, granted_by=granted_by, now=self._now())

    async def remove_grant(self, grant: Grant) -> bool:
        return await remove_grant(self._session, grant)

    async def ensure_member(self, member_id: str, name: str) -> None:
        await ensure_member(self._session, member_id, name)

    async def member_ids(self) -> set[str]:
        return await member_ids(self._session)

    async def member_for_identity(self, kind: str, value: str) -> str | None:
        return await member_for_identity(self._session, kind, value)

    async def link_identity(self, member_id: str, kind: str, value: str) -> None:
        await link_identity(self._session, member_id, kind, value)

    async def add_invitation(self, invitation: Invitation) -> None:
        await self._session.execute(
            insert(invitations).values(
                id=invitation.id,
                token_hash=invitation.token_hash,
                email=invitation.email,
                role=invitation.role.value,
                scope=invitation.scope.value,
                scope_id=invitation.scope_id,
                invited_by=invitation.invited_by,
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
            )
        )

    async def invitation_by_hash(self, token_hash: str) -> Invitation | None:
        row = (
            await self._session.execute(
                select(invitations).where(invitations.c.token_hash == token_hash)
            )
        ).first()
        if row is None:
            return None
        return Invitation(
            id=row.id,
            token_hash=row.token_hash,
            email=row.email,
            role=Role(row.role),
            scope=ScopeKind(row.scope),
            scope_id=row.scope_id,
            invited_by=row.invited_by,
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            member_id=row.member_id,
        )

    async def mark_accepted(self, invitation_id: str, member_id: str, at: datetime) -> bool:
        """Only the first acceptance wins, even with two clicks racing."""
        result = await self._session.execute(
            update(invitations)
            .where(invitations.c.id == invitation_id, invitations.c.accepted_at.is_(None))
            .values(accepted_at=at, member_id=member_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


IdentityLookup = Callable[[str, str], Awaitable[str | None]]


def identity_lookup(db: Database) -> IdentityLookup:
    """For workspace adapters: the member a Slack/Telegram/email identity was granted to."""

    async def lookup(kind: str, value: str) -> str | None:
        async with db.read_sessions() as session:
            return await member_for_identity(session, kind, value)

    return lookup
