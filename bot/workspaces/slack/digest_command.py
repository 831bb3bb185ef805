"""`/storedesk digest daily 09:00`: a lead subscribes the store channel to its digest."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.errors import NotAuthorized
from bot.domain.permissions import SUPERVISORS, Member
from bot.ports import Clock
from bot.services.digest_schedule import parse_schedule
from storage import digest_runs
from storage.database import Database
from storage.digest_runs import Subscription
from storage.metrics_queries import store_infos
from storage.repository import load_member


async def subscribe(
    db: Database, clock: Clock, *, store_id: str, channel: str, actor: str, words: Sequence[str]
) -> str:
    schedule = parse_schedule(words)
    async with db.write_sessions() as session, session.begin():
        member = await load_member(session, actor) or Member(id=actor, name=actor)
        if member.role_in(store_id) not in SUPERVISORS:
            raise NotAuthorized(f"only a lead or admin of {store_id} may schedule its digest")
        store = (await store_infos(session))[store_id]
        await digest_runs.save_subscription(
            session,
            Subscription(
                id=f"slack-{channel.lower()}-{schedule.cadence}",
                target=f"slack:{channel}",
                store_ids=(store_id,),
                client_id=None,
                cron=schedule.cron,
                timezone=store.timezone,
                cadence=schedule.cadence,
                created_by=member.id,
            ),
            clock.now(),
        )
    return (
        f":calendar: The {'weekly' if schedule.cadence == 'week' else 'daily'} digest of "
        f"*{store.name}* will be posted here {schedule.said} ({store.timezone})."
    )
