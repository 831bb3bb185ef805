"""Growing the team: invitations, grants to workspace identities, and revoking grants.

Every grant is checked against what the granter holds (a lead hands out agent or client
roles in their own stores; only an admin makes leads) and leaves an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.commands import AcceptInvitation, GrantByIdentity, InviteMember, RevokeGrant
from bot.domain.errors import InvalidInput, InvalidState, NotAuthorized, NotFound
from bot.domain.membership import (
    IDENTITY_KINDS,
    Invitation,
    member_id_for,
    new_token,
    normalize_email,
    normalize_identity,
    parse_role,
    token_hash,
)
from bot.domain.model import new_id
from bot.domain.permissions import Grant, Member, Role, ScopeKind
from bot.ports import Clock, UnitOfWork
from bot.services.actions import acting_member

MAX_VALID_DAYS = 30


@dataclass(frozen=True)
class InvitationIssued:
    invitation_id: str
    token: str  # shown once, to be sent to the person; only its hash is kept
    email: str
    expires_at: str


def parse_scope(raw: str, scope_id: str) -> tuple[ScopeKind, str]:
    try:
        scope = ScopeKind(raw)
    except ValueError:
        names = ", ".join(s.value for s in ScopeKind)
        raise InvalidInput(f"scope: must be one of {names}") from None
    if scope == ScopeKind.ORGANIZATION:
        return scope, ""
    if not scope_id:
        raise InvalidInput(f"scope: a {scope.value} grant needs the {scope.value} id")
    return scope, scope_id


async def _authorized_grant(
    uow: UnitOfWork, granter: Member, role: Role, scope: ScopeKind, scope_id: str
) -> list[str]:
    """The stores the grant reaches, once the granter may hand it out (refusals audited)."""
    reached = await uow.memberships.stores_in(scope, scope_id)
    if not reached:
        raise NotFound(f"{scope.value} {scope_id or '(organization)'} has no stores")
    try:
        granter.authorize_grant(role, reached)
    except NotAuthorized as refusal:
        await uow.rollback()
        await uow.audit(
            "denied",
            actor=granter.id,
            store_id=None,
            payload={"action": "grant", "role": role.value, "reason": str(refusal)},
        )
        await uow.commit()
        raise
    return reached


async def invite_member(cmd: InviteMember, uow: UnitOfWork, clock: Clock) -> InvitationIssued:
    email = normalize_email(cmd.email)
    role = parse_role(cmd.role)
    scope, scope_id = parse_scope(cmd.scope, cmd.scope_id)
    if not 1 <= cmd.valid_days <= MAX_VALID_DAYS:
        raise InvalidInput(f"valid days: must be between 1 and {MAX_VALID_DAYS}")
    async with uow:
        inviter = await acting_member(uow, cmd.actor_id)
        await _authorized_grant(uow, inviter, role, scope, scope_id)
        token, now = new_token(), clock.now()
        invitation = Invitation(
            id=new_id(),
            token_hash=token_hash(token),
            email=email,
            role=role,
            scope=scope,
            scope_id=scope_id,
            invited_by=inviter.id,
            created_at=now,
            expires_at=now + timedelta(days=cmd.valid_days),
        )
        await uow.memberships.add_invitation(invitation)
        await uow.audit(
            "member_invited",
            actor=inviter.id,
            store_id=scope_id if scope == ScopeKind.STORE else None,
            payload={
                "invitation_id": invitation.id,
                "email": email,
                "role": role.value,
                "scope": scope.value,
                "scope_id": scope_id,
            },
        )
        await uow.commit()
    return InvitationIssued(invitation.id, token, email, invitation.expires_at.isoformat())


async def accept_invitation(cmd: AcceptInvitation, uow: UnitOfWork, clock: Clock) -> str:
    """Turn a valid link into a member (or add the grant to the member with that email)."""
    name = cmd.name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: give your name (at most 200 characters)")
    async with uow:
        invitation = await uow.memberships.invitation_by_hash(token_hash(cmd.token))
        now = clock.now()
        if invitation is None:
            raise NotFound("this invitation link is not valid")
        if invitation.accepted_at is not None:
            raise InvalidState("this invitation was already used")
        if invitation.expires_at <= now:
            raise InvalidState("this invitation has expired; ask for a new one")
        member_id = await uow.memberships.member_for_identity("email", invitation.email)
        if member_id is None:
            member_id = member_id_for(invitation.email, await uow.memberships.member_ids())
            await uow.memberships.ensure_member(member_id, name)
            await uow.memberships.link_identity(member_id, "email", invitation.email)
        if not await uow.memberships.mark_accepted(invitation.id, member_id, now):
            raise InvalidState("this invitation was already used")
        await uow.memberships.put_grant(
            Grant(member_id, invitation.scope, invitation.scope_id, invitation.role),
            source="invite",
            granted_by=invitation.invited_by,
        )
        await uow.audit(
            "member_joined",
            actor=member_id,
            store_id=invitation.scope_id if invitation.scope == ScopeKind.STORE else None,
            payload={
                "invitation_id": invitation.id,
                "role": invitation.role.value,
                "scope": invitation.scope.value,
                "scope_id": invitation.scope_id,
                "invited_by": invitation.invited_by,
            },
        )
        await uow.commit()
    return member_id


async def grant_by_identity(cmd: GrantByIdentity, uow: UnitOfWork, clock: Clock) -> str:
    if cmd.kind not in IDENTITY_KINDS:
        raise InvalidInput(f"identity: must be one of {', '.join(IDENTITY_KINDS)}")
    value = normalize_identity(cmd.kind, cmd.value)
    role = parse_role(cmd.role)
    scope, scope_id = parse_scope(cmd.scope, cmd.scope_id)
    name = cmd.name.strip() or value
    async with uow:
        granter = await acting_member(uow, cmd.actor_id)
        await _authorized_grant(uow, granter, role, scope, scope_id)
        member_id = await uow.memberships.member_for_identity(cmd.kind, value)
        if member_id is None:
            seed = value if cmd.kind == "email" else f"{name}@{cmd.kind}"
            member_id = member_id_for(seed, await uow.memberships.member_ids())
            await uow.memberships.ensure_member(member_id, name)
            await uow.memberships.link_identity(member_id, cmd.kind, value)
        await uow.memberships.put_grant(
            Grant(member_id, scope, scope_id, role), source="invite", granted_by=granter.id
        )
        await uow.audit(
            "member_granted",
            actor=granter.id,
            store_id=scope_id if scope == ScopeKind.STORE else None,
            payload={
                "member_id": member_id,
                "identity": cmd.kind,
                "role": role.value,
                "scope": scope.value,
                "scope_id": scope_id,
            },
        )
        await uow.commit()
    return member_id


async def revoke_grant(cmd: RevokeGrant, uow: UnitOfWork, clock: Clock) -> bool:
    scope, scope_id = parse_scope(cmd.scope, cmd.scope_id)
    async with uow:
        granter = await acting_member(uow, cmd.actor_id)
        # Revoking needs the same standing as granting the highest role there is to take.
        await _authorized_grant(uow, granter, Role.AGENT, scope, scope_id)
        target = await uow.repo.get_member(cmd.member_id)
        if target is None:
            raise NotFound(f"member {cmd.member_id} does not exist")
        for store_id in await uow.memberships.stores_in(scope, scope_id):
            role = target.role_in(store_id)
            if role is not None and not granter.can_grant(role, store_id):
                raise NotAuthorized(f"{granter.id} may not take a {role} role away")
        removed = await uow.memberships.remove_grant(Grant(target.id, scope, scope_id, Role.AGENT))
        if removed:
            await uow.audit(
                "member_revoked",
                actor=granter.id,
                store_id=scope_id if scope == ScopeKind.STORE else None,
                payload={"member_id": target.id, "scope": scope.value, "scope_id": scope_id},
            )
        await uow.commit()
    return removed
