"""aiogram handlers of the store bots: translate customer updates into intake commands.

Handlers hold no business rules. Which store and account an update belongs to comes from
the bot that received it (one bot per store channel account); dedupe is intake's, by
`(account, update id)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import CommandStart
from aiogram.types import Message, Update

from bot.domain.commands import ReceiveCustomerMessage, ReviseCustomerMessage
from bot.ports import Clock
from bot.services.messagebus import MessageBus
from connectors.telegram.accounts import TelegramAccount
from connectors.telegram.media import describe, fetch_media
from storage import inbound, telegram_state
from storage.database import Database

DEFAULT_WELCOME = "How can we help you today?"


def external_id(update_id: int, message_id: int) -> str:
    """Intake's dedupe key is the update id; the message id rides along for reply threading."""
    return f"u{update_id}:m{message_id}"


def message_id_of(external: str | None) -> int | None:
    if not external or ":m" not in external:
        return None
    tail = external.rsplit(":m", 1)[1]
    return int(tail) if tail.isdigit() else None


def customer_name(message: Message) -> str:
    user = message.from_user
    if user is None:
        return "Telegram customer"
    name = " ".join(p for p in (user.first_name, user.last_name) if p).strip()
    return name or (f"@{user.username}" if user.username else f"Telegram user {user.id}")


@dataclass
class InboundContext:
    bus: MessageBus
    db: Database
    clock: Clock
    accounts_by_bot: Mapping[int, TelegramAccount]
    media_root: Path
    max_media_bytes: int
    timeout: float
    greeting: Callable[[str, str, str | None], str]  # (store id, name, language) -> text


def build_router(ctx: InboundContext) -> Router:
    router = Router(name="storedesk-store-bots")
    private = F.chat.type == "private"

    @router.message(CommandStart(), private)
    async def start(message: Message, bot: Bot, event_update: Update) -> None:
        account = ctx.accounts_by_bot[bot.id]
        if not await inbound.claim_event(
            ctx.db, f"telegram:{account.id}", f"u{event_update.update_id}", ctx.clock.now()
        ):
            return
        language = message.from_user.language_code if message.from_user else None
        text = ctx.greeting(account.store_id, customer_name(message), language)
        await bot.send_message(message.chat.id, text)

    @router.message(private)
    async def customer_message(message: Message, bot: Bot, event_update: Update) -> None:
        if message.from_user is None or message.from_user.is_bot:
            return
        account = ctx.accounts_by_bot[bot.id]
        text = describe(message)
        if not text:
            return  # stickers, polls and the like carry nothing the team can answer
        attachments = await fetch_media(
            bot, account.id, message, ctx.media_root, ctx.max_media_bytes, ctx.timeout
        )
        await telegram_state.unblock(ctx.db, account.id, message.chat.id)
        await ctx.bus.handle(
            ReceiveCustomerMessage(
                channel_account_id=account.id,
                external_id=external_id(event_update.update_id, message.message_id),
                customer_external_id=str(message.chat.id),
                customer_name=customer_name(message),
                text=text,
                sent_at=message.date,
                attachments=tuple(attachments),
            )
        )

    @router.edited_message(private)
    async def customer_edit(edited: Message, bot: Bot, event_update: Update) -> None:
        account = ctx.accounts_by_bot[bot.id]
        text = describe(edited)
        if not text or not await inbound.claim_event(
            ctx.db, f"telegram:{account.id}", f"u{event_update.update_id}", ctx.clock.now()
        ):
            return
        stored = await telegram_state.inbound_message_id(
            ctx.db, account.id, edited.chat.id, f":m{edited.message_id}"
        )
        if stored is not None:
            await ctx.bus.handle(ReviseCustomerMessage(stored, text))

    return router


def store_greeting(
    tones: Mapping[str, Mapping[str, Mapping[str, Any]]], languages: Mapping[str, list[str]]
) -> Callable[[str, str, str | None], str]:
    """`/start` answers with the store's own greeting and sign-off, in the customer's language
    when the store has a tone for it."""

    def greet(store_id: str, name: str, language: str | None) -> str:
        tone_by_language = tones.get(store_id, {})
        store_languages = languages.get(store_id) or ["en"]
        chosen = language if language in tone_by_language else store_languages[0]
        tone = tone_by_language.get(chosen, {})
        greeting = str(tone.get("greeting") or "Hello {name},").replace("{name}", name)
        signoff = str(tone.get("signoff") or "")
        return "\n\n".join(p for p in (greeting, DEFAULT_WELCOME, signoff) if p)

    return greet
