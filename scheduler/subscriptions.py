"""Digest subscriptions made by command, the same from every surface.

Slack's `/storedesk digest`, Telegram's `/digest` and the console's form all come here:
the words are parsed by `bot.services.digest_schedule.parse_request`, only a lead or admin
of every store in the scope may subscribe or cancel, and both (and a refusal) are audited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import InvalidInput, NotAuthorized, NotFound
from bot.domain.permissions import SUPERVISORS, Member
from bot.ports import Clock
from bot.services.digest_schedule import DigestSchedule, parse_request
from storage import digest_runs
from storage.database import Database
from storage.digest_runs import Subscription
from storage.metrics_queries import StoreInfo, store_infos
from storage.repository import load_member
from storage.uow import SqlUnitOfWork

_UNSAFE_ID = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True)
class Subscribed:
    subscription: Subscription
    schedule: DigestSchedule
    stores: list[StoreInfo]

    @property
    def cadence_word(self) -> str:
        return "weekly" if self.schedule.cadence == "week" else "daily"

    @property
    def store_names(self) -> str:
        return ", ".join(s.name for s in self.stores)


def subscription_id(place: str, cadence: str) -> str:
    """One subscription per place and cadence: saying the command again changes it."""
    return f"{_UNSAFE_ID.sub('-', place.lower()).strip('-')}-{cadence}"[:200]


async def _member(session: AsyncSession, actor: str) -> Member:
    return await load_member(session, actor) or Member(id=actor, name=actor)


async def _refuse(uow: SqlUnitOfWork, member: Member, store_ids: Sequence[str], why: str) -> None:
    """A refusal is evidence too: audited and committed, then raised."""
    await uow.rollback()
    scope: list[str | None] = list(store_ids) or [None]
    for store_id in scope:
        await uow.audit(
            "denied",
            actor=member.id,
            store_id=store_id,
            payload={"action": "schedule_digest", "reason": why},
        )
    await uow.commit()
    raise NotAuthorized(why)


def _not_supervised(member: Member, store_ids: Sequence[str]) -> list[str]:
    return [s for s in store_ids if member.role_in(s) not in SUPERVISORS]


async def subscribe(
    db: Database,
    clock: Clock,
    *,
    actor: str,
    target: str,
    place: str,
    words: Sequence[str],
    default_stores: Sequence[str] = (),
) -> Subscribed:
    """Save the subscription `words` ask for, delivered to `target`.

    `place` names where the command was given (it makes the subscription's id) and
    `default_stores` is the scope when the words name no store."""
    request = parse_request(words)
    store_ids = list(request.store_ids or default_stores)
    if not store_ids:
        raise InvalidInput("stores: name at least one store id after the time")
    async with SqlUnitOfWork(db, clock) as uow:
        member = await _member(uow.session, actor)
        known = await store_infos(uow.session)
        unknown = [s for s in store_ids if s not in known]
        refused = _not_supervised(member, store_ids)
        if unknown or refused:
            # An unknown store answers as a refused one: no hint of which stores exist.
            await _refuse(
                uow,
                member,
                [s for s in store_ids if s in known],
                f"only a lead or admin of {', '.join(unknown + refused)} may schedule its digest",
            )
        stores = [known[s] for s in store_ids]
        subscription = Subscription(
            id=subscription_id(place, request.schedule.cadence),
            target=target,
            store_ids=tuple(store_ids),
            client_id=None,
            cron=request.schedule.cron,
            timezone=request.timezone or stores[0].timezone,
            cadence=request.schedule.cadence,
            created_by=member.id,
        )
        await digest_runs.save_subscription(uow.session, subscription, clock.now())
        for store_id in store_ids:
            await uow.audit(
                "digest_subscribed",
                actor=member.id,
                store_id=store_id,
                payload={
                    "subscription_id": subscription.id,
                    "target": target,
                    "cron": subscription.cron,
                    "timezone": subscription.timezone,
                    "stores": store_ids,
                },
            )
        await uow.commit()
    return Subscribed(subscription, request.schedule, stores)


async def subscriptions_at(db: Database, target: str) -> list[Subscription]:
    """The stored subscriptions delivered to `target` (a chat, a channel, the console)."""
    async with db.read_sessions() as session:
        return [s for s in await digest_runs.stored_subscriptions(session) if s.target == target]


async def visible_subscriptions(db: Database, member: Member, target: str) -> list[Subscription]:
    visible = set(member.visible_stores())
    return [s for s in await subscriptions_at(db, target) if set(s.store_ids) <= visible]


async def cancel(
    db: Database, clock: Clock, *, actor: str, subscription_id: str, target: str
) -> Subscription:
    """Delete a subscription of `target`; only a lead or admin of all its stores may."""
    async with SqlUnitOfWork(db, clock) as uow:
        member = await _member(uow.session, actor)
        found = await digest_runs.stored_subscriptions(uow.session, subscription_id)
        if not found or found[0].target != target:
            raise NotFound(f"no digest subscription {subscription_id} here")
        subscription = found[0]
        refused = _not_supervised(member, subscription.store_ids)
        if refused:
            await _refuse(
                uow,
                member,
                subscription.store_ids,
                f"only a lead or admin of {', '.join(refused)} may cancel its digest",
            )
        await digest_runs.delete_subscription(uow.session, subscription_id)
        for store_id in subscription.store_ids:
            await uow.audit(
                "digest_unsubscribed",
                actor=member.id,
                store_id=store_id,
                payload={"subscription_id": subscription_id, "target": target},
            )
        await uow.commit()
    return subscription


def describe(subscription: Subscription) -> str:
    """One line for a listing: id, when, where and what."""
    minute, hour, _dom, _month, weekday = subscription.cron.split()
    when = f"{int(hour):02d}:{int(minute):02d} {subscription.timezone}"
    when = f"daily {when}" if weekday == "*" else f"weekly {weekday} {when}"
    return f"{subscription.id}: {when}, stores {', '.join(subscription.store_ids)}"
