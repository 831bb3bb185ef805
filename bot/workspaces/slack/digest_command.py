"""`/storedesk digest daily 09:00 [timezone] [store…]`: a lead subscribes this channel."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ports import Clock
from scheduler import subscriptions
from storage.database import Database


async def subscribe(
    db: Database, clock: Clock, *, store_id: str, channel: str, actor: str, words: Sequence[str]
) -> str:
    done = await subscriptions.subscribe(
        db,
        clock,
        actor=actor,
        target=f"slack:{channel}",
        place=f"slack-{channel}",
        words=words,
        default_stores=[store_id],
    )
    sub = done.subscription
    names = ", ".join(f"*{s.name}*" for s in done.stores)
    return (
        f":calendar: The {done.cadence_word} digest of {names} will be posted here "
        f"{done.schedule.said} ({sub.timezone})."
    )
