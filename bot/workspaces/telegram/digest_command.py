"""`/digest` in the team group: subscribe this chat to its stores' digest, list, cancel.

    /digest daily 09:00 [Europe/Berlin] [store…]   /digest weekly mon 08:30
    /digest list                                   /digest cancel <id>

The words go to the same subscription service as Slack's `/storedesk digest`; who may do
what (leads and admins of every store in the scope) is checked and audited there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from functools import partial

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.domain.errors import DomainError
from bot.ports import Clock
from bot.services.digest_schedule import USAGE
from bot.workspaces.telegram.handlers import TeamContext
from bot.workspaces.telegram.mirror import StorePlace
from scheduler import subscriptions
from storage.database import Database

COMMAND = "digest"
HELP = f"Usage: /{USAGE}.\n/digest list shows this chat's digests; /digest cancel <id> stops one."


def add_digest_command(
    application: Application,  # type: ignore[type-arg]
    ctx: TeamContext,
    clock: Clock,
    places: Mapping[str, StorePlace],
) -> None:
    application.add_handler(
        CommandHandler(COMMAND, partial(on_digest, ctx, clock, places), filters.ChatType.GROUPS)
    )


async def on_digest(
    ctx: TeamContext,
    clock: Clock,
    places: Mapping[str, StorePlace],
    update: Update,
    _context: ContextTypes.DEFAULT_TYPE,
) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.chat_id not in ctx.chats:
        return
    words = (message.text or "").split()[1:]
    try:
        answer = await _answer(
            ctx.db, clock, places, message.chat_id, await ctx.actor(user.id), words
        )
    except DomainError as refusal:
        answer = f"⛔ {refusal}"
    # The command's effect is saved and audited; a lost answer changes nothing.
    with contextlib.suppress(TelegramError):
        await message.reply_text(answer, do_quote=True)


async def _answer(
    db: Database,
    clock: Clock,
    places: Mapping[str, StorePlace],
    chat_id: int,
    actor: str,
    words: list[str],
) -> str:
    target = f"telegram:{chat_id}"
    verb = words[0].lower() if words else "help"
    if verb == "list":
        found = await subscriptions.subscriptions_at(db, target)
        if not found:
            return "No digest is scheduled for this chat."
        return "Digests for this chat:\n" + "\n".join(
            f"• {subscriptions.describe(s)}" for s in found
        )
    if verb == "cancel" and len(words) == 2:
        gone = await subscriptions.cancel(
            db, clock, actor=actor, subscription_id=words[1], target=target
        )
        return f"Cancelled the digest {gone.id}."
    if verb not in ("daily", "weekly"):
        return HELP
    done = await subscriptions.subscribe(
        db,
        clock,
        actor=actor,
        target=target,
        place=f"telegram-{chat_id}",
        words=words,
        default_stores=[s for s, place in places.items() if place.chat_id == chat_id],
    )
    return (
        f"📅 The {done.cadence_word} digest of {done.store_names} will be posted here "
        f"{done.schedule.said} ({done.subscription.timezone}). Id: {done.subscription.id}"
    )
