"""`storedesk members`: invite people, grant roles to workspace identities, revoke, list.

The operator acts on behalf of a member (`--by`), so every grant is checked against what
that member may hand out and the audit trail names a person, not a shell account.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.commands import GrantByIdentity, InviteMember, RevokeGrant
from bot.domain.errors import DomainError
from bot.domain.permissions import Role, ScopeKind
from bot.services import membership
from storage import grants, migrate
from storage.database import Database, open_database
from storage.directory import sync_directory
from storage.orm import members as member_rows
from storage.uow import SqlUnitOfWork

ROLES = [r.value for r in Role]


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("members", help="invite people and manage their roles")
    actions = parser.add_subparsers(dest="members_command", required=True)
    invite = actions.add_parser("invite", help="make a one-time sign-up link for an email")
    _acting(invite)
    invite.add_argument("--email", required=True)
    invite.add_argument("--days", type=int, default=7, help="how long the link works (1-30)")
    _role_and_scope(invite)
    grant = actions.add_parser("grant", help="give a Slack/Telegram/email identity a role now")
    _acting(grant)
    who = grant.add_mutually_exclusive_group(required=True)
    who.add_argument("--slack-user", help="Slack user id, e.g. U012ABC")
    who.add_argument("--telegram-user", help="Telegram numeric user id")
    who.add_argument("--email")
    grant.add_argument("--name", default="", help="display name for a new member")
    _role_and_scope(grant)
    revoke = actions.add_parser("revoke", help="take a member's grant over a scope away")
    _acting(revoke)
    revoke.add_argument("member", help="member id")
    _scope(revoke)
    actions.add_parser("list", help="members and their grants")


def _acting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", required=True, help="the member (lead or admin) doing this")


def _role_and_scope(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", required=True, choices=ROLES)
    _scope(parser)


def _scope(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--store", help="one store")
    where.add_argument("--client", help="every store of one client")
    where.add_argument("--organization", action="store_true", help="every store")


def _scope_of(args: argparse.Namespace) -> tuple[str, str]:
    if args.store:
        return ScopeKind.STORE.value, args.store
    if args.client:
        return ScopeKind.CLIENT.value, args.client
    return ScopeKind.ORGANIZATION.value, ""


def accept_url(settings: Settings, token: str) -> str:
    base = settings.server.public_url or f"http://{settings.server.host}:{settings.server.port}"
    return f"{base.rstrip('/')}/console/invite/{token}"


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from main import directory_from  # the composition root owns config → domain translation

    db = open_database(settings.database_url)
    try:
        await migrate.upgrade(db)
        async with db.write_sessions() as session, session.begin():
            await sync_directory(session, directory_from(settings))
        if args.members_command == "list":
            return await _list(db)
        return await _change(args, settings, db)
    except DomainError as problem:
        print(f"members {args.members_command}: {problem}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()


async def _change(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    uow, clock = SqlUnitOfWork(db, SystemClock()), SystemClock()
    scope, scope_id = _scope_of(args)
    if args.members_command == "invite":
        issued = await membership.invite_member(
            InviteMember(args.by, args.email, args.role, scope, scope_id, args.days), uow, clock
        )
        print(f"Invitation for {issued.email} ({args.role}, {scope} {scope_id}).")
        print(f"Send this link; it works once, until {issued.expires_at}:")
        print(accept_url(settings, issued.token))
        return 0
    if args.members_command == "grant":
        kind, value = (
            ("slack", args.slack_user)
            if args.slack_user
            else ("telegram", args.telegram_user)
            if args.telegram_user
            else ("email", args.email)
        )
        member_id = await membership.grant_by_identity(
            GrantByIdentity(args.by, kind, value, args.name, args.role, scope, scope_id),
            uow,
            clock,
        )
        print(f"{member_id} is now {args.role} ({scope} {scope_id}).")
        return 0
    removed = await membership.revoke_grant(
        RevokeGrant(args.by, args.member, scope, scope_id), uow, clock
    )
    print(f"{args.member}: grant {'removed' if removed else 'not found'} ({scope} {scope_id}).")
    return 0 if removed else 1


async def _list(db: Database) -> int:
    async with db.read_sessions() as session:
        names = {r.id: r.name for r in (await session.execute(member_rows.select())).all()}
        rows = await grants.grants_of(session)
    by_member: dict[str, list[str]] = {m: [] for m in names}
    for row in rows:
        g = row.grant
        where = g.scope.value + (f" {g.scope_id}" if g.scope_id else "")
        by_member.setdefault(g.member_id, []).append(f"{g.role.value} ({where}, {row.source})")
    for member_id in sorted(by_member):
        grants_text = "; ".join(by_member[member_id]) or "no roles"
        print(f"{member_id}\t{names.get(member_id, member_id)}\t{grants_text}")
    return 0
